package jrmp

import "testing"

func benchmarkParse(b *testing.B, file string) {
	data := capture(b, file)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReturn(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReturnLookupStub(b *testing.B)  { benchmarkParse(b, "lookup-unicastref.bin") }
func BenchmarkParseReturnLookupProxy(b *testing.B) { benchmarkParse(b, "lookup-proxy.bin") }
func BenchmarkParseReturnNotBound(b *testing.B)    { benchmarkParse(b, "lookup-notbound.bin") }
func BenchmarkParseReturnServerException(b *testing.B) {
	benchmarkParse(b, "lookup-serverexception.bin")
}
func BenchmarkParseReturnList(b *testing.B) { benchmarkParse(b, "list-jmxrmi.bin") }
