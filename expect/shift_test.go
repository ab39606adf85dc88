package expect

import "testing"

// TestAtOffsetLeavesUnknownPortsUnknown: a port whose number cannot be
// known (an unset $env{} placeholder) is neither given a number at another
// offset nor blamed for passing 65535.
func TestAtOffsetLeavesUnknownPortsUnknown(t *testing.T) {
	spec := Spec{Ports: []Port{
		{Name: "passthrough-http", Base: 10000, Offset: true, Need: Required, Unknown: "$env{HTTP_PORT} is not set", Why: "from $env{HTTP_PORT}"},
		{Name: "https", Base: 9443, Number: 9443, Offset: true, Need: Required},
	}}
	got, err := spec.AtOffset(56000, "test")
	if err != nil {
		t.Fatalf("AtOffset(56000): %v", err)
	}
	if p := got.Ports[0]; p.Number != 0 || p.Why != "from $env{HTTP_PORT}" {
		t.Errorf("unknown port moved: %+v", p)
	}
	if p := got.Ports[1]; p.Number != 65443 {
		t.Errorf("https at %d, want 65443", p.Number)
	}
	if _, err := spec.AtOffset(56100, "test"); err == nil {
		t.Error("https past 65535 is not refused")
	}
}
