package jrmp

import (
	"github.com/carbonprobe/carbonprobe/internal/text"

	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Endpoint is where a remote reference (an RMI stub) says its object lives:
// the address a client such as JConsole dials next.
type Endpoint struct {
	Host string
	Port int
	// Ref is the wire form of the reference: "UnicastRef", or "UnicastRef2"
	// when the object was exported with socket factories.
	Ref string
	// Factory is the class of the client socket factory a UnicastRef2 carries,
	// e.g. javax.rmi.ssl.SslRMIClientSocketFactory (the endpoint speaks TLS);
	// empty when there is none.
	Factory string
	// Class is the stub class (javax.management.remote.rmi.RMIServerImpl_Stub)
	// or, for a dynamic proxy, its first remote interface.
	Class string
	ObjID ObjID
}

// Addr is host:port, bracketed for IPv6.
func (e Endpoint) Addr() string { return joinHostPort(e.Host, e.Port) }

func (e Endpoint) String() string {
	s := text.Peer(e.Addr()) + " (" + text.Peer(e.Ref)
	if e.Factory != "" {
		s += ", client socket factory " + text.Peer(e.Factory)
	}
	return s + ")"
}

// TLS reports whether the stub tells clients to connect with the JDK's SSL
// socket factory.
func (e Endpoint) TLS() bool { return e.Factory == "javax.rmi.ssl.SslRMIClientSocketFactory" }

// UID is java.rmi.server.UID as written on the wire: i32 unique, i64 time,
// i16 count. A DgcAck echoes the one from the ReturnData header.
type UID [14]byte

func (u UID) String() string {
	unique := int32(binary.BigEndian.Uint32(u[0:4]))
	time := int64(binary.BigEndian.Uint64(u[4:12]))
	count := int16(binary.BigEndian.Uint16(u[12:14]))
	// The same text as UID.toString in Java, to match JDK logs.
	return strconv.FormatInt(int64(unique), 16) + ":" + strconv.FormatInt(time, 16) + ":" + strconv.FormatInt(int64(count), 16)
}

// ObjID identifies an exported object within its endpoint.
type ObjID struct {
	Num int64
	UID UID
}

// String matches java.rmi.server.ObjID.toString.
func (o ObjID) String() string {
	if o.UID == (UID{}) {
		return "[" + strconv.FormatInt(o.Num, 10) + "]"
	}
	return "[" + o.UID.String() + ", " + strconv.FormatInt(o.Num, 10) + "]"
}

// RemoteError is an exception the server returned (an ExceptionalReturn).
type RemoteError struct {
	Class   string // e.g. java.rmi.NotBoundException
	Message string // Throwable.detailMessage, empty when null
	Cause   *RemoteError
}

func (e *RemoteError) Error() string {
	s := e.Short()
	if e.Cause != nil {
		s += "; caused by " + e.Cause.Error()
	}
	return s
}

// Short is the simple class name and message, e.g. "NotBoundException: jmxrmi".
func (e *RemoteError) Short() string {
	s := text.Peer(e.Class[strings.LastIndexByte(e.Class, '.')+1:])
	if e.Message != "" {
		s += ": " + text.Peer(e.Message)
	}
	return s
}

// Has reports whether the exception or one of its causes is of class cls.
func (e *RemoteError) Has(cls string) bool {
	for x := e; x != nil; x = x.Cause {
		if x.Class == cls {
			return true
		}
	}
	return false
}

// Return is a parsed ReturnData message.
type Return struct {
	Normal bool
	// UID identifies this return; a DgcAck echoes it.
	UID UID
	// Stub is the remote reference the returned value carries, if any
	// (lookup's answer).
	Stub *Endpoint
	// Strings is the value when it is a String[] (list's answer), at most
	// maxKept names.
	Strings []string
	// Exception is the thrown exception of an ExceptionalReturn.
	Exception *RemoteError
	// AckNeeded: the server holds the returned remote objects until it sees a
	// DgcAck with UID.
	AckNeeded bool
}

const (
	msgReturnData  = 0x51
	normalReturn   = 0x01
	exceptionalRet = 0x02
)

// ParseReturn parses a complete ReturnData message (starting with 0x51) as an
// RMI server writes it in reply to a Call.
func ParseReturn(b []byte) (Return, error) {
	return readReturn(bytesSource(b))
}

func readReturn(src *source) (Return, error) {
	op, err := src.byte()
	if err != nil {
		return Return{}, err
	}
	if op != msgReturnData {
		return Return{}, fmt.Errorf("expected ReturnData (51), got %02x", op)
	}
	d := &decoder{src: src}
	if err := d.header(); err != nil {
		return Return{}, err
	}
	// The return type and UID are primitive writes, so they come as block data;
	// ObjectOutputStream puts them in one block, but nothing requires it.
	var head []byte
	var v any
	for {
		c, err := d.content()
		if err != nil {
			return Return{}, fmt.Errorf("return header: %w", err)
		}
		b, ok := c.(blockData)
		if !ok {
			v = c
			break
		}
		head = append(head, b...)
		if len(head) >= 15 {
			break
		}
	}
	if len(head) < 15 {
		return Return{}, fmt.Errorf("return header of %d bytes, expected 15", len(head))
	}
	var r Return
	switch head[0] {
	case normalReturn:
		r.Normal = true
	case exceptionalRet:
	default:
		return Return{}, fmt.Errorf("unknown return type %02x", head[0])
	}
	copy(r.UID[:], head[1:15])
	if len(head) > 15 {
		return Return{}, fmt.Errorf("%d unexpected bytes after the return header", len(head)-15)
	}
	if v == nil {
		// A void method returns nothing more; every call we make returns a value.
		if v, err = d.value(); err != nil {
			return Return{}, fmt.Errorf("return value: %w", err)
		}
	}
	r.AckNeeded = d.ackNeeded
	if !r.Normal {
		r.Exception = exceptionOf(v, 0)
		if r.Exception == nil {
			return r, fmt.Errorf("exceptional return carrying %s, not a Throwable", kindOf(v))
		}
		return r, nil
	}
	switch x := v.(type) {
	case *object:
		r.Stub = stubOf(x)
	case *array:
		for _, e := range x.elems {
			if s, ok := e.(string); ok {
				r.Strings = append(r.Strings, s)
			}
		}
	}
	return r, nil
}

// stubOf returns the endpoint of a stub, or of the RemoteObjectInvocationHandler
// behind a dynamic proxy.
func stubOf(o *object) *Endpoint {
	ref := o.ref
	class := o.desc.name
	if o.desc.proxy {
		if h, ok := o.field("java.lang.reflect.Proxy", "h"); ok {
			if ho, ok := h.(*object); ok {
				ref = ho.ref
			}
		}
		class = ""
		for _, i := range o.desc.ifaces {
			if i != "java.rmi.Remote" {
				class = i
				break
			}
		}
	}
	if ref == nil {
		return nil
	}
	ep := *ref
	ep.Class = class
	return &ep
}

// exceptionOf turns a Throwable object into a RemoteError, following
// RemoteException.detail and Throwable.cause (bounded: streams can loop).
func exceptionOf(v any, depth int) *RemoteError {
	o, ok := v.(*object)
	if !ok || depth > 8 || !o.instanceOf("java.lang.Throwable") {
		return nil
	}
	e := &RemoteError{Class: o.desc.name}
	if m, ok := o.field("java.lang.Throwable", "detailMessage"); ok {
		e.Message, _ = m.(string)
	}
	// RemoteException keeps its wrapped exception in "detail"; Throwable.cause
	// pointing at itself means "not set".
	next, _ := o.field("java.rmi.RemoteException", "detail")
	if next == nil {
		if c, ok := o.field("java.lang.Throwable", "cause"); ok && c != any(o) {
			next = c
		}
	}
	if next != nil {
		e.Cause = exceptionOf(next, depth+1)
	}
	return e
}

func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "a String"
	case *object:
		return "a " + text.Peer(x.desc.name)
	case *array:
		return "a " + text.Peer(x.desc.name) + " array"
	case *classDesc:
		return "a class descriptor"
	case *enumConst:
		return "an enum constant"
	}
	return fmt.Sprintf("a %T", v)
}

// ParseStub parses a stub serialized by a plain ObjectOutputStream (no RMI
// class annotations), as the JDK writes it into a JMX "/stub/" URL.
func ParseStub(b []byte) (Endpoint, error) {
	d := &decoder{src: bytesSource(b)}
	if err := d.header(); err != nil {
		return Endpoint{}, err
	}
	v, err := d.value()
	if err != nil {
		return Endpoint{}, err
	}
	o, ok := v.(*object)
	if !ok {
		return Endpoint{}, fmt.Errorf("expected a stub object, got %s", kindOf(v))
	}
	ep := stubOf(o)
	if ep == nil {
		return Endpoint{}, fmt.Errorf("%s carries no remote reference", text.Peer(o.desc.name))
	}
	return *ep, nil
}

// maxStubText bounds the base64 text accepted, in line with the read limit.
const maxStubText = MaxReply * 4 / 3

// ParseStubBase64 reads the stub in a JMX service URL of the form
// service:jmx:rmi://127.0.0.1/stub/rO0AB... (what the JDK's local connector
// publishes in hsperfdata as sun.management.JMXConnectorServer.address), or
// the base64 text alone.
func ParseStubBase64(s string) (Endpoint, error) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "/stub/"); i >= 0 {
		s = s[i+len("/stub/"):]
	}
	if len(s) > maxStubText {
		return Endpoint{}, fmt.Errorf("stub text of %d bytes, more than %d", len(s), maxStubText)
	}
	var b []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("stub is not base64: %w", err)
	}
	return ParseStub(b)
}

var errNoStub = errors.New("no remote reference in the reply")
