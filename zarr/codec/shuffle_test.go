package codec

import "testing"

func FuzzShuffleDecode(f *testing.F) { fuzzDecode(f, "shuffle", `{}`) }
