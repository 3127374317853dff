/* A stand-in for Windows' bcryptprimitives.dll, which wine 8 lacks and Rust's
 * std imports for ProcessPrng (its random source since Rust 1.78). Built by
 * scripts/wine-run into the private wine prefix; never shipped. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
      return FALSE;
    }
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
