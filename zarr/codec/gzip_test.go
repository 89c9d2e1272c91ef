package codec

import "testing"

func FuzzGzipDecode(f *testing.F) { fuzzDecode(f, "gzip", `{}`) }
