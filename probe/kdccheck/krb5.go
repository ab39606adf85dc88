package kdccheck

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
)

// The few Kerberos messages the verifier sends and reads (RFC 4120 section
// 5), encoded here with gokrb5's ASN.1 package (gofork: encoding/asn1 with
// GeneralString). gokrb5's own messages package did this before, but it
// links encoding/gob (for credential caches), an RPC/NDR decoder (for PACs)
// and the HTTP/2 header tables, whose package initialisation cost 0.3 ms at
// every start of carbonprobe, for one request and two replies
// (docs/performance.md). The test compares the bytes with gokrb5's.

// Message types and the application tags that carry them.
const (
	krbASReq    = 10
	krbASRep    = 11
	krbErr      = 30
	pvno        = 5
	ntPrincipal = 1 // KRB_NT_PRINCIPAL
	ntSrvInst   = 2 // KRB_NT_SRV_INST
)

// enctypes offered: aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96,
// rc4-hmac, as gokrb5's defaults (weak types left out) and MIT's KDCs expect.
var enctypes = []int32{18, 17, 23}

// ticketLifetime is the till of the request, as gokrb5's default (1 day).
const ticketLifetime = 24 * time.Hour

type principalName struct {
	NameType   int32    `asn1:"explicit,tag:0"`
	NameString []string `asn1:"generalstring,explicit,tag:1"`
}

type paData struct {
	PADataType  int32  `asn1:"explicit,tag:1"`
	PADataValue []byte `asn1:"explicit,tag:2"`
}

type kdcReqBody struct {
	KDCOptions asn1.BitString `asn1:"explicit,tag:0"`
	CName      principalName  `asn1:"explicit,optional,tag:1"`
	Realm      string         `asn1:"generalstring,explicit,tag:2"`
	SName      principalName  `asn1:"explicit,optional,tag:3"`
	Till       time.Time      `asn1:"generalized,explicit,tag:5"`
	Nonce      int            `asn1:"explicit,tag:7"`
	EType      []int32        `asn1:"explicit,tag:8"`
}

type kdcReq struct {
	PVNO    int        `asn1:"explicit,tag:1"`
	MsgType int        `asn1:"explicit,tag:2"`
	PAData  []paData   `asn1:"explicit,optional,tag:3"`
	ReqBody kdcReqBody `asn1:"explicit,tag:4"`
}

// encodeASReq is an AS-REQ for a ticket-granting ticket of realm for client
// (name components split on "/"), with the KDC option renewable-ok, as
// gokrb5's NewASReqForTGT builds it with its default settings.
func encodeASReq(realm string, client []string, now time.Time, nonce int) ([]byte, error) {
	req := kdcReq{
		PVNO:    pvno,
		MsgType: krbASReq,
		PAData:  []paData{},
		ReqBody: kdcReqBody{
			KDCOptions: asn1.BitString{Bytes: []byte{0, 0, 0, 0x10}, BitLength: 32}, // renewable-ok
			CName:      principalName{NameType: ntPrincipal, NameString: client},
			Realm:      realm,
			SName:      principalName{NameType: ntSrvInst, NameString: []string{"krbtgt", realm}},
			Till:       now.UTC().Add(ticketLifetime).Truncate(time.Second),
			Nonce:      nonce,
			EType:      enctypes,
		},
	}
	b, err := asn1.Marshal(req)
	if err != nil {
		return nil, err
	}
	return appTag(b, krbASReq), nil
}

// nonce is a random positive 31-bit number, as RFC 4120 asks.
func nonce() int {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return int(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)
}

// appTag wraps DER bytes in [APPLICATION tag], constructed.
func appTag(b []byte, tag int) []byte {
	out, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassApplication, IsCompound: true, Tag: tag, Bytes: b})
	return out
}

// krbErrorMsg is KRB-ERROR (RFC 4120 5.9.1).
type krbErrorMsg struct {
	PVNO      int           `asn1:"explicit,tag:0"`
	MsgType   int           `asn1:"explicit,tag:1"`
	CTime     time.Time     `asn1:"generalized,optional,explicit,tag:2"`
	Cusec     int           `asn1:"optional,explicit,tag:3"`
	STime     time.Time     `asn1:"generalized,explicit,tag:4"`
	Susec     int           `asn1:"explicit,tag:5"`
	ErrorCode int32         `asn1:"explicit,tag:6"`
	CRealm    string        `asn1:"generalstring,optional,explicit,tag:7"`
	CName     principalName `asn1:"optional,explicit,tag:8"`
	Realm     string        `asn1:"generalstring,explicit,tag:9"`
	SName     principalName `asn1:"explicit,tag:10"`
	EText     string        `asn1:"generalstring,optional,explicit,tag:11"`
	EData     []byte        `asn1:"optional,explicit,tag:12"`
}

// asRepMsg is the part of AS-REP (RFC 4120 5.4.2) the verifier reports: who
// the ticket is for. The ticket and the encrypted part stay raw.
type asRepMsg struct {
	PVNO    int           `asn1:"explicit,tag:0"`
	MsgType int           `asn1:"explicit,tag:1"`
	PAData  []paData      `asn1:"explicit,optional,tag:2"`
	CRealm  string        `asn1:"generalstring,explicit,tag:3"`
	CName   principalName `asn1:"explicit,tag:4"`
	Ticket  asn1.RawValue `asn1:"explicit,tag:5"`
	EncPart asn1.RawValue `asn1:"explicit,tag:6"`
}

var errMsgType = errors.New("not the message type its tag says")

func decodeKRBError(b []byte) (krbErrorMsg, error) {
	var m krbErrorMsg
	rest, err := asn1.UnmarshalWithParams(b, &m, "application,explicit,tag:30")
	if err == nil && m.MsgType != krbErr {
		err = errMsgType
	}
	_ = rest // a datagram may carry padding; what parsed is what counts
	return m, err
}

func decodeASRep(b []byte) (asRepMsg, error) {
	var m asRepMsg
	_, err := asn1.UnmarshalWithParams(b, &m, "application,explicit,tag:11")
	if err == nil && m.MsgType != krbASRep {
		err = errMsgType
	}
	return m, err
}

// String is "name/instance", as a principal is written.
func (p principalName) String() string {
	s := ""
	for i, n := range p.NameString {
		if i > 0 {
			s += "/"
		}
		s += n
	}
	return s
}
