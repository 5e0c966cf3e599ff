// cuda_runtime.h for the CUDA emulator: nvcc includes the real one by itself; a kernel that names it explicitly gets
// the emulator's definitions (emu.h, already included by the generated file) instead.
#pragma once
#include "emu.h"
