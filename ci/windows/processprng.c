/*
 * A stand-in for bcryptprimitives.dll, for running the test suite under Wine only.
 *
 * Rust's standard library (since 1.78) takes its random bytes from ProcessPrng in
 * bcryptprimitives.dll, which every supported Windows has. Debian's Wine does not export
 * it, so a Rust program fails to start under Wine ("unimplemented function
 * bcryptprimitives.dll.ProcessPrng"). This DLL exports ProcessPrng and fills the buffer
 * from SystemFunction036 (RtlGenRandom) in advapi32, which Wine has. scripts/windows-test
 * builds it with mingw and puts it in the Wine prefix's system32. It is never shipped:
 * real Windows has the real DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
