package yamlerr

import (
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestProblems(t *testing.T) {
	var v struct{ A int }
	err := yaml.Unmarshal([]byte("a: x\nb: [\n"), &v)
	if got := Problems(err); len(got) != 1 || got[0].Line < 2 {
		t.Errorf("syntax error: %+v", got)
	}
	var w struct{ A, B int }
	err = yaml.Unmarshal([]byte("a: x\nb: y\n"), &w)
	got := Problems(err)
	want := []Problem{
		{1, "YAML: cannot unmarshal !!str `x` into int"},
		{2, "YAML: cannot unmarshal !!str `y` into int"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("type errors: %+v, want %+v", got, want)
	}
}
