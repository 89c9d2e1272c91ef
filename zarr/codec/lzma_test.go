package codec

import "testing"

func FuzzLzmaDecode(f *testing.F) { fuzzDecode(f, "lzma", `{"format": 0}`) }
