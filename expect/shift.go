package expect

import "fmt"

// AtOffset is the spec with the ports that take an offset moved to offset n,
// which from names ("--suggest"): how the same set would sit at another
// offset. A port whose number is unknown stays unknown. It fails when a
// checked port would pass MaxPort.
func (s Spec) AtOffset(n int, from string) (Spec, error) {
	out := s
	out.Offset = Offset{Value: n, Kind: OffsetFlag, From: from}
	out.Ports = make([]Port, len(s.Ports))
	for i, p := range s.Ports {
		if p.Offset && p.Unknown == "" {
			p.Number = p.Base + n
			p.Why = fmt.Sprintf("%d + offset %d", p.Base, n)
			if p.Number > MaxPort && p.Checked() {
				return out, fmt.Errorf("it pushes port %s (%d) to %d, past %d", p.Name, p.Base, p.Number, MaxPort)
			}
		}
		out.Ports[i] = p
	}
	return out, nil
}
