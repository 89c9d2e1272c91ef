package codec

import "testing"

func FuzzCrc32cDecode(f *testing.F) { fuzzDecode(f, "crc32c", `{}`) }
