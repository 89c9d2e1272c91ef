//go:build !purego

#include "textflag.h"

// func unshuffle4SSE2(dst, s0, s1, s2, s3 *byte, n int)
//
// Interleaves four byte streams of n bytes (n a multiple of 16) into n
// 4-byte elements: byte unpacks of (s0, s1) and (s2, s3), then 16-bit
// unpacks of the results, 16 elements per iteration. SSE2 is part of the
// amd64 baseline, so no CPU check is needed.
TEXT ·unshuffle4SSE2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ s0+8(FP), AX
	MOVQ s1+16(FP), BX
	MOVQ s2+24(FP), CX
	MOVQ s3+32(FP), DX
	MOVQ n+40(FP), SI
	XORQ R8, R8

loop:
	CMPQ R8, SI
	JAE  done
	MOVOU (AX)(R8*1), X0
	MOVOU (BX)(R8*1), X1
	MOVOU (CX)(R8*1), X2
	MOVOU (DX)(R8*1), X3
	MOVO  X0, X4
	PUNPCKLBW X1, X0
	PUNPCKHBW X1, X4
	MOVO  X2, X5
	PUNPCKLBW X3, X2
	PUNPCKHBW X3, X5
	MOVO  X0, X6
	PUNPCKLWL X2, X0
	PUNPCKHWL X2, X6
	MOVO  X4, X7
	PUNPCKLWL X5, X4
	PUNPCKHWL X5, X7
	MOVOU X0, 0(DI)
	MOVOU X6, 16(DI)
	MOVOU X4, 32(DI)
	MOVOU X7, 48(DI)
	ADDQ  $64, DI
	ADDQ  $16, R8
	JMP   loop

done:
	RET

// func unshuffle2SSE2(dst, s0, s1 *byte, n int)
//
// Interleaves two byte streams of n bytes (n a multiple of 16).
TEXT ·unshuffle2SSE2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ s0+8(FP), AX
	MOVQ s1+16(FP), BX
	MOVQ n+24(FP), SI
	XORQ R8, R8

loop2:
	CMPQ R8, SI
	JAE  done2
	MOVOU (AX)(R8*1), X0
	MOVOU (BX)(R8*1), X1
	MOVO  X0, X2
	PUNPCKLBW X1, X0
	PUNPCKHBW X1, X2
	MOVOU X0, 0(DI)
	MOVOU X2, 16(DI)
	ADDQ  $32, DI
	ADDQ  $16, R8
	JMP   loop2

done2:
	RET

// func unshuffle8SSE2(dst, src *byte, stride, n int)
//
// Interleaves eight byte streams src[k*stride:], k = 0..7, of n bytes each
// (n a multiple of 16) into n 8-byte elements: byte, 16-bit and 32-bit
// unpacks, 16 elements per iteration.
TEXT ·unshuffle8SSE2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), AX
	MOVQ stride+16(FP), BX
	MOVQ n+24(FP), SI
	LEAQ (AX)(BX*4), CX   // streams 4..7
	LEAQ (BX)(BX*2), DX   // 3*stride
	XORQ R8, R8

loop8:
	CMPQ R8, SI
	JAE  done8
	LEAQ (AX)(R8*1), R9
	LEAQ (CX)(R8*1), R10
	MOVOU (R9), X0
	MOVOU (R9)(BX*1), X1
	MOVOU (R9)(BX*2), X2
	MOVOU (R9)(DX*1), X3
	MOVOU (R10), X4
	MOVOU (R10)(BX*1), X5
	MOVOU (R10)(BX*2), X6
	MOVOU (R10)(DX*1), X7

	// Bytes: (0,1) (2,3) (4,5) (6,7); low halves stay, high halves to X8..X11.
	MOVO X0, X8
	PUNPCKLBW X1, X0
	PUNPCKHBW X1, X8
	MOVO X2, X9
	PUNPCKLBW X3, X2
	PUNPCKHBW X3, X9
	MOVO X4, X10
	PUNPCKLBW X5, X4
	PUNPCKHBW X5, X10
	MOVO X6, X11
	PUNPCKLBW X7, X6
	PUNPCKHBW X7, X11

	// Elements 0..7 from X0, X2, X4, X6.
	MOVO X0, X1
	PUNPCKLWL X2, X0   // bytes 0-3 of elements 0..3
	PUNPCKHWL X2, X1   // bytes 0-3 of elements 4..7
	MOVO X4, X3
	PUNPCKLWL X6, X4   // bytes 4-7 of elements 0..3
	PUNPCKHWL X6, X3   // bytes 4-7 of elements 4..7
	MOVO X0, X2
	PUNPCKLLQ X4, X0   // elements 0, 1
	PUNPCKHLQ X4, X2   // elements 2, 3
	MOVO X1, X5
	PUNPCKLLQ X3, X1   // elements 4, 5
	PUNPCKHLQ X3, X5   // elements 6, 7
	MOVOU X0, 0(DI)
	MOVOU X2, 16(DI)
	MOVOU X1, 32(DI)
	MOVOU X5, 48(DI)

	// Elements 8..15 from X8, X9, X10, X11.
	MOVO X8, X1
	PUNPCKLWL X9, X8
	PUNPCKHWL X9, X1
	MOVO X10, X3
	PUNPCKLWL X11, X10
	PUNPCKHWL X11, X3
	MOVO X8, X2
	PUNPCKLLQ X10, X8
	PUNPCKHLQ X10, X2
	MOVO X1, X5
	PUNPCKLLQ X3, X1
	PUNPCKHLQ X3, X5
	MOVOU X8, 64(DI)
	MOVOU X2, 80(DI)
	MOVOU X1, 96(DI)
	MOVOU X5, 112(DI)

	ADDQ $128, DI
	ADDQ $16, R8
	JMP  loop8

done8:
	RET
