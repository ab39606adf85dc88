package jrmp

import (
	"encoding/binary"
	"runtime"
	"testing"
)

// Streams built to make the walker do the most work per byte of input, to
// show that work and memory stay proportional to the 64 KiB read limit.

// returnHeader is a NormalReturn header with a zero UID.
func returnHeader() []byte {
	return append([]byte{0x51, 0xac, 0xed, 0x00, 0x05, 0x77, 0x0f, 0x01}, make([]byte, 14)...)
}

// manyDeepObjects: a 44-deep class hierarchy, then an Object[] of objects of
// that class (6 bytes each, by back-reference), filling MaxReply.
func manyDeepObjects() []byte {
	b := returnHeader()
	b = append(b, 0x75, 0x72, 0x00, 0x13)
	b = append(b, "[Ljava.lang.Object;"...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 1, 0x02, 0x00, 0x00, 0x78, 0x70)
	lenAt := len(b)
	b = binary.BigEndian.AppendUint32(b, 0)
	b = append(b, 0x73)
	for i := 0; i < 44; i++ {
		b = append(b, 0x72, 0x00, 0x01, 'A'+byte(i%26))
		b = append(b, make([]byte, 8)...)
		b = append(b, 0x02, 0x00, 0x00, 0x78)
	}
	b = append(b, 0x70)
	n := 1
	for len(b) < MaxReply-6 {
		b = append(b, 0x73, 0x71, 0x00, 0x7e, 0x00, 0x02) // handle 2: the most derived class
		n++
	}
	binary.BigEndian.PutUint32(b[lenAt:], uint32(n))
	return b
}

// manyEmptyBlocks: one object of a class with a writeObject method whose
// annotation is nothing but empty block-data records.
func manyEmptyBlocks() []byte {
	b := returnHeader()
	b = append(b, 0x73, 0x72, 0x00, 0x01, 'W')
	b = append(b, make([]byte, 8)...)
	b = append(b, 0x03, 0x00, 0x00, 0x78, 0x70)
	for len(b) < MaxReply-2 {
		b = append(b, 0x77, 0x00)
	}
	return append(b, 0x78)
}

func TestHostileStreamsBoundedWork(t *testing.T) {
	for name, data := range map[string][]byte{"many deep objects": manyDeepObjects(), "many empty blocks": manyEmptyBlocks()} {
		t.Run(name, func(t *testing.T) {
			if len(data) > MaxReply {
				t.Fatalf("test stream of %d bytes exceeds the limit", len(data))
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := ParseReturn(data)
			runtime.ReadMemStats(&after)
			if err != nil || !r.Normal {
				t.Fatalf("ParseReturn = %+v, %v; want a normal return", r, err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32*MaxReply {
				t.Errorf("allocated %d bytes for %d bytes of input", alloc, len(data))
			}
		})
	}
}

func BenchmarkParseReturnHostileDeepObjects(b *testing.B) {
	data := manyDeepObjects()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReturn(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReturnHostileEmptyBlocks(b *testing.B) {
	data := manyEmptyBlocks()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReturn(data); err != nil {
			b.Fatal(err)
		}
	}
}
