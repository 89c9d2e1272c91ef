package codec

import "testing"

func FuzzLZ4Decode(f *testing.F) { fuzzDecode(f, "lz4", `{}`) }
