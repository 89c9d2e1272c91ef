package codec

import "testing"

func FuzzBz2Decode(f *testing.F) { fuzzDecode(f, "bz2", `{}`) }
