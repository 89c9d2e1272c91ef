package codec

import "testing"

func FuzzZstdDecode(f *testing.F) { fuzzDecode(f, "zstd", `{}`) }
