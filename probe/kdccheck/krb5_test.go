package kdccheck

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// The AS-REQ is byte for byte the one gokrb5 builds with its defaults, which
// MIT, Heimdal and Active Directory accept (the tests against krb5kdc send it).
func TestASReqAsGokrb5BuildsIt(t *testing.T) {
	for _, client := range []string{"carbonprobe-probe-0123456789ab", "kadmin/admin"} {
		now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
		ours, err := encodeASReq("EXAMPLE.ORG", strings.Split(client, "/"), now, 123456789)
		if err != nil {
			t.Fatal(err)
		}
		cname := types.PrincipalName{NameType: nametype.KRB_NT_PRINCIPAL, NameString: strings.Split(client, "/")}
		req, err := messages.NewASReqForTGT("EXAMPLE.ORG", config.New(), cname)
		if err != nil {
			t.Fatal(err)
		}
		req.ReqBody.Till, req.ReqBody.Nonce = now.Add(24*time.Hour), 123456789
		theirs, err := req.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s:\nours   % x\ngokrb5 % x", client, ours, theirs)
		}
	}
}

// A KRB-ERROR that gokrb5 encodes reads back field for field.
func TestKRBErrorAsGokrb5EncodesIt(t *testing.T) {
	st := time.Date(2026, 12, 3, 10, 0, 1, 0, time.UTC)
	e := messages.NewKRBError(types.PrincipalName{NameType: 2, NameString: []string{"krbtgt", "EXAMPLE.ORG"}}, "EXAMPLE.ORG",
		errorcode.KDC_ERR_C_PRINCIPAL_UNKNOWN, "no such client")
	e.STime, e.Susec = st, 4242
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeKRBError(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ErrorCode != 6 || got.Realm != "EXAMPLE.ORG" || got.EText != "no such client" || !got.STime.Equal(st) ||
		got.Susec != 4242 || got.SName.String() != "krbtgt/EXAMPLE.ORG" {
		t.Errorf("decoded %+v", got)
	}
	// The same bytes under another application tag are not a KRB-ERROR.
	b[0] = 0x6b
	if _, err := decodeKRBError(b); err == nil {
		t.Error("an AS-REP tag read as a KRB-ERROR")
	}
}

func TestErrorNamesAsGokrb5(t *testing.T) {
	for code := int32(-1); code < 80; code++ {
		name, desc := errorName(code)
		want := errorcode.Lookup(code)
		if name == "error code "+strconv.Itoa(int(code)) {
			if want[0] == '(' {
				t.Errorf("%d: gokrb5 knows %q", code, want)
			}
			continue
		}
		if !bytes.Contains([]byte(want), []byte(name)) {
			t.Errorf("%d: %q, %q; gokrb5 %q", code, name, desc, want)
		}
	}
}
