package jrmp

// A minimal, bounded walker for the Java Object Serialization Stream Protocol
// (https://docs.oracle.com/en/java/javase/17/docs/specs/serialization/protocol.html),
// enough to read what an RMI registry returns: stubs, dynamic proxies, String[]
// and exceptions. It builds a small value tree instead of matching byte
// patterns, so that any class layout the JDK produces (annotations or not,
// socket factories, stack traces) stays in step with the stream.
//
// Every length read from the peer is checked against the bytes still allowed
// before anything is allocated, recursion is bounded, and reference cycles are
// tolerated: a hostile stream can make the walk fail, never panic or grow.

import (
	"github.com/carbonprobe/carbonprobe/internal/text"

	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

const (
	tcNull           = 0x70
	tcReference      = 0x71
	tcClassDesc      = 0x72
	tcObject         = 0x73
	tcString         = 0x74
	tcArray          = 0x75
	tcClass          = 0x76
	tcBlockData      = 0x77
	tcEndBlockData   = 0x78
	tcReset          = 0x79
	tcBlockDataLong  = 0x7a
	tcException      = 0x7b
	tcLongString     = 0x7c
	tcProxyClassDesc = 0x7d
	tcEnum           = 0x7e

	baseHandle = 0x7e0000

	scWriteMethod    = 0x01
	scSerializable   = 0x02
	scExternalizable = 0x04
	scBlockData      = 0x08

	streamMagic   = 0xaced
	streamVersion = 5
)

const (
	// maxDepth bounds nesting of objects, class descriptors and annotations:
	// what RMI returns nests a dozen levels at most.
	maxDepth = 48
	// maxHandles bounds the back-reference table; a registry reply uses a few hundred.
	maxHandles = 1 << 14
	// maxChain bounds a class hierarchy; Java's deepest real ones are far shorter.
	maxChain = 64
	// maxKept bounds how many elements of one object array are kept (the rest are
	// walked and dropped), so list() of a huge registry cannot grow memory.
	maxKept = 1024
)

var (
	errLimit     = errors.New("reply larger than the read limit")
	errTruncated = errors.New("reply truncated")
)

// source reads at most left more bytes; every allocation sized by the peer is
// checked against left first.
type source struct {
	r    byteReader
	left int64
	read int64
	// over is the error for running past left: errLimit on a connection,
	// errTruncated for a byte slice (whose end is the limit).
	over    error
	scratch [8]byte
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

func bytesSource(b []byte) *source {
	return &source{r: bytes.NewReader(b), left: int64(len(b)), over: errTruncated}
}

func netSource(r io.Reader, limit int64) *source {
	return &source{r: bufio.NewReaderSize(io.LimitReader(r, limit), 4096), left: limit, over: errLimit}
}

func (s *source) fail(err error) error {
	if errors.Is(err, io.EOF) {
		if s.left <= 0 {
			return s.over
		}
		return errTruncated
	}
	return err
}

func (s *source) tooLong(what string, n any) error {
	return fmt.Errorf("%w: %s of %v announced, %d bytes left", s.over, what, n, s.left)
}

func (s *source) byte() (byte, error) {
	if s.left <= 0 {
		return 0, s.over
	}
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, s.fail(err)
	}
	s.left--
	s.read++
	return b, nil
}

func (s *source) full(n int64) ([]byte, error) {
	if n < 0 || n > s.left {
		return nil, s.tooLong("data", n)
	}
	b := make([]byte, n)
	k, err := io.ReadFull(s.r, b)
	s.left -= int64(k)
	s.read += int64(k)
	if err != nil {
		return nil, s.fail(err)
	}
	return b, nil
}

func (s *source) skip(n int64) error {
	if n < 0 || n > s.left {
		return s.tooLong("data", n)
	}
	k, err := io.CopyN(io.Discard, s.r, n)
	s.left -= k
	s.read += k
	if err != nil {
		return s.fail(err)
	}
	return nil
}

// fixed reads n <= 8 bytes into the scratch buffer, without allocating.
func (s *source) fixed(n int) ([]byte, error) {
	if int64(n) > s.left {
		return nil, s.tooLong("data", n)
	}
	b := s.scratch[:n]
	k, err := io.ReadFull(s.r, b)
	s.left -= int64(k)
	s.read += int64(k)
	if err != nil {
		return nil, s.fail(err)
	}
	return b, nil
}

func (s *source) u16() (uint16, error) {
	b, err := s.fixed(2)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(b), nil
}

func (s *source) u32() (uint32, error) {
	b, err := s.fixed(4)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

func (s *source) u64() (uint64, error) {
	b, err := s.fixed(8)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

// utf reads a DataOutput.writeUTF string: u16 length, modified UTF-8.
func (s *source) utf() (string, error) {
	n, err := s.u16()
	if err != nil {
		return "", err
	}
	b, err := s.full(int64(n))
	if err != nil {
		return "", err
	}
	return decodeModifiedUTF8(b), nil
}

// decodeModifiedUTF8 decodes Java's modified UTF-8 (NUL as C0 80, supplementary
// characters as surrogate pairs); malformed input becomes U+FFFD rather than an
// error, since names are only shown to people.
func decodeModifiedUTF8(b []byte) string {
	ascii := true
	for _, c := range b {
		if c == 0 || c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	units := make([]uint16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			units = append(units, uint16(c))
			i++
		case c&0xe0 == 0xc0 && i+1 < len(b) && b[i+1]&0xc0 == 0x80:
			units = append(units, uint16(c&0x1f)<<6|uint16(b[i+1]&0x3f))
			i += 2
		case c&0xf0 == 0xe0 && i+2 < len(b) && b[i+1]&0xc0 == 0x80 && b[i+2]&0xc0 == 0x80:
			units = append(units, uint16(c&0x0f)<<12|uint16(b[i+1]&0x3f)<<6|uint16(b[i+2]&0x3f))
			i += 3
		default:
			units = append(units, utf8.RuneError)
			i++
		}
	}
	return string(utf16.Decode(units))
}

// encodeModifiedUTF8 is the inverse, for the names we send.
func encodeModifiedUTF8(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u != 0 && u < 0x80:
			out = append(out, byte(u))
		case u < 0x800:
			out = append(out, 0xc0|byte(u>>6), 0x80|byte(u&0x3f))
		default:
			out = append(out, 0xe0|byte(u>>12), 0x80|byte(u>>6&0x3f), 0x80|byte(u&0x3f))
		}
	}
	return out
}

// The value tree. Values are nil, string, *classDesc, *object, *array or
// *enumConst (primitive fields are skipped and read as nil); annotations also
// hold blockData.
type classDesc struct {
	name   string
	flags  byte
	fields []fieldDesc
	super  *classDesc
	proxy  bool
	ifaces []string
	chain  []*classDesc // hierarchy(), once computed
}

type fieldDesc struct {
	typ  byte
	name string
}

type object struct {
	desc *classDesc
	data []classData // superclass first, as in the stream
	ref  *Endpoint   // set when a java.rmi.server.RemoteObject part carried a live ref
}

type classData struct {
	desc       *classDesc
	values     []any
	annotation []any
}

type array struct {
	desc  *classDesc
	elems []any // at most maxKept
	n     int
}

type enumConst struct {
	desc *classDesc
	name string
}

type blockData []byte

// field returns the value of field name declared by class cls, if present.
func (o *object) field(cls, name string) (any, bool) {
	for _, cd := range o.data {
		if cd.desc.name != cls {
			continue
		}
		for i, f := range cd.desc.fields {
			if f.name == name && i < len(cd.values) {
				return cd.values[i], true
			}
		}
	}
	return nil, false
}

// instanceOf reports whether cls is in the object's class hierarchy.
func (o *object) instanceOf(cls string) bool {
	c, _ := o.desc.hierarchy()
	for _, cd := range c {
		if cd.name == cls {
			return true
		}
	}
	return false
}

type decoder struct {
	src     *source
	handles []any
	depth   int
	// ackNeeded is set when a ref was written to a result stream: the server
	// then holds the object strongly until it sees our DgcAck.
	ackNeeded bool
}

func (d *decoder) assign(v any) (int, error) {
	if len(d.handles) >= maxHandles {
		return 0, fmt.Errorf("more than %d back-references", maxHandles)
	}
	d.handles = append(d.handles, v)
	return len(d.handles) - 1, nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d", maxDepth)
	}
	return nil
}

func (d *decoder) leave() { d.depth-- }

// header reads the stream magic and version.
func (d *decoder) header() error {
	m, err := d.src.u16()
	if err != nil {
		return err
	}
	v, err := d.src.u16()
	if err != nil {
		return err
	}
	if m != streamMagic || v != streamVersion {
		return fmt.Errorf("expected Java serialization header ac ed 00 05, got %04x %04x", m, v)
	}
	return nil
}

// content reads one item where block data is allowed (annotations, the start of
// a ReturnData stream).
func (d *decoder) content() (any, error) {
	tc, err := d.src.byte()
	if err != nil {
		return nil, err
	}
	return d.contentTC(tc)
}

func (d *decoder) contentTC(tc byte) (any, error) {
	switch tc {
	case tcBlockData:
		n, err := d.src.byte()
		if err != nil {
			return nil, err
		}
		b, err := d.src.full(int64(n))
		return blockData(b), err
	case tcBlockDataLong:
		n, err := d.src.u32()
		if err != nil {
			return nil, err
		}
		b, err := d.src.full(int64(n))
		return blockData(b), err
	}
	return d.valueTC(tc)
}

// annotation reads contents up to TC_ENDBLOCKDATA.
func (d *decoder) annotation() ([]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	var items []any
	for {
		tc, err := d.src.byte()
		if err != nil {
			return nil, err
		}
		if tc == tcEndBlockData {
			return items, nil
		}
		v, err := d.contentTC(tc)
		if err != nil {
			return nil, err
		}
		if b, ok := v.(blockData); ok && len(b) == 0 {
			continue // carries nothing; keeping it would only cost memory
		}
		items = append(items, v)
	}
}

// value reads one object (no block data).
func (d *decoder) value() (any, error) {
	tc, err := d.src.byte()
	if err != nil {
		return nil, err
	}
	return d.valueTC(tc)
}

func (d *decoder) valueTC(tc byte) (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	for tc == tcReset {
		d.handles = d.handles[:0]
		var err error
		if tc, err = d.src.byte(); err != nil {
			return nil, err
		}
	}
	switch tc {
	case tcNull:
		return nil, nil
	case tcReference:
		return d.reference()
	case tcClassDesc, tcProxyClassDesc:
		return d.classDescTC(tc)
	case tcObject:
		return d.newObject()
	case tcString:
		return d.newString(false)
	case tcLongString:
		return d.newString(true)
	case tcArray:
		return d.newArray()
	case tcClass:
		desc, err := d.classDesc()
		if err != nil {
			return nil, err
		}
		_, err = d.assign(desc)
		return desc, err
	case tcEnum:
		return d.newEnum()
	case tcException:
		// The writer failed half-way and serialized the failure instead.
		d.handles = d.handles[:0]
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		name := "an unknown object"
		if o, ok := v.(*object); ok {
			name = o.desc.name
		}
		return nil, fmt.Errorf("the server aborted the stream with %s", text.Peer(name))
	case tcBlockData, tcBlockDataLong, tcEndBlockData:
		return nil, fmt.Errorf("unexpected block data marker %02x where an object was expected", tc)
	}
	return nil, fmt.Errorf("unknown type code %02x", tc)
}

func (d *decoder) reference() (any, error) {
	h, err := d.src.u32()
	if err != nil {
		return nil, err
	}
	i := int64(h) - baseHandle
	if i < 0 || i >= int64(len(d.handles)) {
		return nil, fmt.Errorf("back-reference %08x to an unknown handle", h)
	}
	return d.handles[i], nil
}

func (d *decoder) newString(long bool) (any, error) {
	var n int64
	if long {
		u, err := d.src.u64()
		if err != nil {
			return nil, err
		}
		if u > uint64(d.src.left) {
			return nil, d.src.tooLong("a string", u)
		}
		n = int64(u)
	} else {
		u, err := d.src.u16()
		if err != nil {
			return nil, err
		}
		n = int64(u)
	}
	b, err := d.src.full(n)
	if err != nil {
		return nil, err
	}
	s := decodeModifiedUTF8(b)
	_, err = d.assign(s)
	return s, err
}

// classDesc reads a classDesc: a new descriptor, a reference to one, or null.
func (d *decoder) classDesc() (*classDesc, error) {
	tc, err := d.src.byte()
	if err != nil {
		return nil, err
	}
	for tc == tcReset {
		d.handles = d.handles[:0]
		if tc, err = d.src.byte(); err != nil {
			return nil, err
		}
	}
	switch tc {
	case tcNull:
		return nil, nil
	case tcReference:
		v, err := d.reference()
		if err != nil {
			return nil, err
		}
		desc, ok := v.(*classDesc)
		if !ok {
			return nil, fmt.Errorf("back-reference to a %T where a class descriptor was expected", v)
		}
		return desc, nil
	case tcClassDesc, tcProxyClassDesc:
		return d.classDescTC(tc)
	}
	return nil, fmt.Errorf("expected a class descriptor, got type code %02x", tc)
}

func (d *decoder) classDescTC(tc byte) (*classDesc, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer d.leave()
	desc := &classDesc{}
	if tc == tcProxyClassDesc {
		desc.proxy = true
		desc.flags = scSerializable
		if _, err := d.assign(desc); err != nil {
			return nil, err
		}
		n, err := d.src.u32()
		if err != nil {
			return nil, err
		}
		// Each name takes at least its 2-byte length.
		if int64(n)*2 > d.src.left {
			return nil, d.src.tooLong("a proxy interface count", n)
		}
		for i := uint32(0); i < n; i++ {
			s, err := d.src.utf()
			if err != nil {
				return nil, err
			}
			if len(desc.ifaces) < maxKept {
				desc.ifaces = append(desc.ifaces, s)
			}
		}
		desc.name = "$Proxy"
	} else {
		name, err := d.src.utf()
		if err != nil {
			return nil, err
		}
		desc.name = name
		if _, err := d.src.u64(); err != nil { // serialVersionUID
			return nil, err
		}
		if _, err := d.assign(desc); err != nil {
			return nil, err
		}
		if desc.flags, err = d.src.byte(); err != nil {
			return nil, err
		}
		n, err := d.src.u16()
		if err != nil {
			return nil, err
		}
		// Each field takes at least a type byte and a 2-byte name length.
		if int64(n)*3 > d.src.left {
			return nil, d.src.tooLong("a field count", n)
		}
		desc.fields = make([]fieldDesc, 0, min(n, 16))
		for i := 0; i < int(n); i++ {
			typ, err := d.src.byte()
			if err != nil {
				return nil, err
			}
			fname, err := d.src.utf()
			if err != nil {
				return nil, err
			}
			switch typ {
			case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z':
			case 'L', '[':
				v, err := d.value()
				if err != nil {
					return nil, err
				}
				if _, ok := v.(string); !ok {
					return nil, fmt.Errorf("field %s.%s: type name is a %T, not a string", text.Peer(name), text.Peer(fname), v)
				}
			default:
				return nil, fmt.Errorf("field %s.%s: unknown type code %q", text.Peer(name), text.Peer(fname), typ)
			}
			desc.fields = append(desc.fields, fieldDesc{typ: typ, name: fname})
		}
	}
	if _, err := d.annotation(); err != nil {
		return nil, err
	}
	super, err := d.classDesc()
	if err != nil {
		return nil, err
	}
	desc.super = super
	return desc, nil
}

// hierarchy lists the class hierarchy, superclass first, computed once per
// descriptor: objects of one class are cheap however many the stream holds. A
// hostile stream can make a descriptor its own ancestor; the length bound
// stops that loop.
func (desc *classDesc) hierarchy() ([]*classDesc, error) {
	if desc.chain != nil {
		return desc.chain, nil
	}
	var c []*classDesc
	for x := desc; x != nil; x = x.super {
		if len(c) == maxChain {
			return nil, fmt.Errorf("class hierarchy of %s deeper than %d (or a loop)", text.Peer(desc.name), maxChain)
		}
		c = append(c, x)
	}
	slices.Reverse(c)
	desc.chain = c
	return c, nil
}

func (d *decoder) newObject() (any, error) {
	desc, err := d.classDesc()
	if err != nil {
		return nil, err
	}
	if desc == nil {
		return nil, errors.New("object with a null class descriptor")
	}
	o := &object{desc: desc}
	if _, err := d.assign(o); err != nil {
		return nil, err
	}
	descs, err := desc.hierarchy()
	if err != nil {
		return nil, err
	}
	for _, cd := range descs {
		data := classData{desc: cd}
		switch {
		case cd.proxy:
			// A proxy class has no fields of its own; java.lang.reflect.Proxy's h follows.
		case cd.flags&scSerializable != 0:
			if data.values, err = d.fieldValues(cd); err != nil {
				return nil, err
			}
			if cd.flags&scWriteMethod != 0 {
				if data.annotation, err = d.annotation(); err != nil {
					return nil, err
				}
			}
		case cd.flags&scExternalizable != 0:
			if cd.flags&scBlockData == 0 {
				return nil, fmt.Errorf("class %s is externalized in protocol 1, which cannot be walked", text.Peer(cd.name))
			}
			if data.annotation, err = d.annotation(); err != nil {
				return nil, err
			}
		}
		// Only classes with data are kept, so that a stream of small objects
		// of a deep hierarchy cannot multiply memory.
		if len(data.values) > 0 || len(data.annotation) > 0 {
			o.data = append(o.data, data)
		}
		if cd.name == "java.rmi.server.RemoteObject" && o.ref == nil {
			ep, ack, err := d.parseRef(data.annotation)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", text.Peer(desc.name), err)
			}
			o.ref = ep
			d.ackNeeded = d.ackNeeded || ack
		}
	}
	return o, nil
}

func (d *decoder) fieldValues(cd *classDesc) ([]any, error) {
	values := make([]any, 0, len(cd.fields))
	for _, f := range cd.fields {
		var v any
		var err error
		// No answer we read depends on a primitive field: skip them rather
		// than box them.
		if w := primitiveWidth(f.typ); w > 0 {
			_, err = d.src.fixed(int(w))
		} else {
			v, err = d.value()
		}
		if err != nil {
			return nil, err
		}
		values = append(values, v)
	}
	return values, nil
}

func (d *decoder) newArray() (any, error) {
	desc, err := d.classDesc()
	if err != nil {
		return nil, err
	}
	if desc == nil || len(desc.name) < 2 || desc.name[0] != '[' {
		return nil, errors.New("array without an array class descriptor")
	}
	a := &array{desc: desc}
	if _, err := d.assign(a); err != nil {
		return nil, err
	}
	size, err := d.src.u32()
	if err != nil {
		return nil, err
	}
	n := int64(int32(size))
	if n < 0 {
		return nil, fmt.Errorf("array %s of negative length %d", text.Peer(desc.name), n)
	}
	a.n = int(n)
	if width := primitiveWidth(desc.name[1]); width > 0 {
		// Primitive contents matter to no RMI answer we read: skip them.
		return a, d.src.skip(n * width)
	}
	if desc.name[1] != 'L' && desc.name[1] != '[' {
		return nil, fmt.Errorf("array class %q has an unknown element type", desc.name)
	}
	if n > d.src.left {
		return nil, d.src.tooLong("an array length", n)
	}
	for i := int64(0); i < n; i++ {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if len(a.elems) < maxKept {
			a.elems = append(a.elems, v)
		}
	}
	return a, nil
}

// primitiveWidth is the size of a primitive array element, 0 for references.
func primitiveWidth(code byte) int64 {
	switch code {
	case 'B', 'Z':
		return 1
	case 'C', 'S':
		return 2
	case 'I', 'F':
		return 4
	case 'J', 'D':
		return 8
	}
	return 0
}

func (d *decoder) newEnum() (any, error) {
	desc, err := d.classDesc()
	if err != nil {
		return nil, err
	}
	e := &enumConst{desc: desc}
	if _, err := d.assign(e); err != nil {
		return nil, err
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("enum constant name is a %T, not a string", v)
	}
	e.name = s
	return e, nil
}

// items reads primitives across the block-data parts of an annotation and
// hands out the objects between them, as ObjectInputStream does for a
// class's readObject.
type items struct {
	list []any
	buf  []byte
}

func (it *items) fill() {
	for len(it.buf) == 0 && len(it.list) > 0 {
		b, ok := it.list[0].(blockData)
		if !ok {
			return
		}
		it.buf = b
		it.list = it.list[1:]
	}
}

func (it *items) next(n int) ([]byte, error) {
	var out []byte // grown as data is found: n comes from the peer
	for len(out) < n {
		it.fill()
		if len(it.buf) == 0 {
			return nil, errTruncated
		}
		k := min(n-len(out), len(it.buf))
		out = append(out, it.buf[:k]...)
		it.buf = it.buf[k:]
	}
	return out, nil
}

func (it *items) utf() (string, error) {
	b, err := it.next(2)
	if err != nil {
		return "", err
	}
	s, err := it.next(int(binary.BigEndian.Uint16(b)))
	if err != nil {
		return "", err
	}
	return decodeModifiedUTF8(s), nil
}

func (it *items) object() (any, error) {
	if len(it.buf) > 0 || len(it.list) == 0 {
		return nil, errors.New("expected an object between the ref's block data")
	}
	if _, ok := it.list[0].(blockData); ok {
		return nil, errors.New("expected an object, found more block data")
	}
	v := it.list[0]
	it.list = it.list[1:]
	return v, nil
}

// parseRef reads what RemoteObject.writeObject wrote: the ref class name, then
// UnicastRef's (host, port) or UnicastRef2's (format, host, port [, client
// socket factory]), then ObjID and the isResultStream flag (LiveRef.write).
func (d *decoder) parseRef(annotation []any) (*Endpoint, bool, error) {
	it := &items{list: annotation}
	name, err := it.utf()
	if err != nil {
		return nil, false, fmt.Errorf("remote ref: %w", err)
	}
	ep := &Endpoint{Ref: name}
	switch name {
	case "UnicastRef", "UnicastRef2":
	case "":
		return nil, false, errors.New("remote ref serialized as an object, which is not supported")
	default:
		return nil, false, fmt.Errorf("remote ref type %q is not supported", name)
	}
	format := byte(0)
	if name == "UnicastRef2" {
		b, err := it.next(1)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", name, err)
		}
		format = b[0]
		if format > 1 {
			return nil, false, fmt.Errorf("%s: unknown endpoint format %d", name, format)
		}
	}
	if ep.Host, err = it.utf(); err != nil {
		return nil, false, fmt.Errorf("%s host: %w", name, err)
	}
	b, err := it.next(4)
	if err != nil {
		return nil, false, fmt.Errorf("%s port: %w", name, err)
	}
	ep.Port = int(int32(binary.BigEndian.Uint32(b)))
	if format == 1 {
		v, err := it.object()
		if err != nil {
			return nil, false, fmt.Errorf("%s socket factory: %w", name, err)
		}
		ep.Factory = "null"
		if o, ok := v.(*object); ok {
			ep.Factory = o.desc.name
		}
	}
	b, err = it.next(8 + 14 + 1)
	if err != nil {
		return nil, false, fmt.Errorf("%s ObjID: %w", name, err)
	}
	ep.ObjID.Num = int64(binary.BigEndian.Uint64(b))
	copy(ep.ObjID.UID[:], b[8:22])
	return ep, b[22] != 0, nil
}
