// zlib (Debian zlib1g-dev; part of the macOS SDK): gzip'd IDX files and PNG pictures.
#ifndef SCULPT_CZLIB_SHIM_H
#define SCULPT_CZLIB_SHIM_H
#include <zlib.h>
#endif
