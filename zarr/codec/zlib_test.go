package codec

import "testing"

func FuzzZlibDecode(f *testing.F) { fuzzDecode(f, "zlib", `{}`) }
