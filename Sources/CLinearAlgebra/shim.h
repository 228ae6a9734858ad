// The one door to BLAS and LAPACK on Linux: OpenBLAS (cblas) and LAPACKE from Debian
// (libopenblas-dev liblapacke-dev). macOS uses Accelerate instead (see SculptCore/BLAS.swift).
#ifndef SCULPT_CLINEARALGEBRA_SHIM_H
#define SCULPT_CLINEARALGEBRA_SHIM_H
#include <cblas.h>
#include <lapacke.h>
// lapack_int is a macro, which Swift cannot see: give it a name.
typedef lapack_int LapackInt;
#endif
