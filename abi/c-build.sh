# shellcheck shell=bash
# The one place where the C programs that test libnook are compiled and
# linked: the flags, the sources and the link line for each kind of target.
# Sourced (from the repository root) by abi/test.sh and abi/conformance.sh
# (this machine, gcc) and abi/cross-test.sh (another target, its C compiler).
#
#   source abi/c-build.sh
#   nook_c_program CC TARGET LIBDIR OUT SOURCE...
#       compiles SOURCE... with CC into OUT (OUT.exe for Windows) against
#       abi/include/nook.h and the libnook in LIBDIR (cargo's output folder
#       for TARGET, a Rust target triple; "" = this machine).
#   nook_c_tests CC TARGET LIBDIR OUTDIR
#       builds OUTDIR/misuse and OUTDIR/conformance (the misuse tests and the
#       conformance runner).
#   nook_c_exe TARGET PATH   prints PATH as the program file (PATH.exe on Windows)

# -D_FILE_OFFSET_BITS=64: on 32-bit Linux (i686, armv7), readdir fails with
# EOVERFLOW on file systems with 64-bit inode numbers without it.
nook_c_flags=(-std=c11 -O1 -g -Wall -Wextra -Wno-type-limits -Werror -D_FILE_OFFSET_BITS=64
              -Iabi/include -Iabi/tests)

nook_c_exe() {
  case "$1" in
    *windows*) echo "$2.exe" ;;
    *) echo "$2" ;;
  esac
}

nook_c_program() {
  local cc=$1 target=$2 libdir=$3 out=$4
  shift 4
  case "$target" in
    *windows*)
      # Linked to nook.dll through its import library; Windows finds the DLL
      # next to the program, so it is copied there. __USE_MINGW_ANSI_STDIO:
      # C99 printf formats (%zu, %llu) whatever C runtime MinGW links.
      $cc "${nook_c_flags[@]}" -D__USE_MINGW_ANSI_STDIO=1 "$@" "$libdir/libnook.dll.a" -o "$out.exe"
      cp "$libdir/nook.dll" "$(dirname "$out")/"
      ;;
    *)
      # POSIX (Linux, Android, Apple): the shared library, found through the rpath.
      $cc "${nook_c_flags[@]}" -pthread "$@" -L"$libdir" -lnook -Wl,-rpath,"$libdir" -o "$out"
      ;;
  esac
}

nook_c_tests() {
  local cc=$1 target=$2 libdir=$3 outdir=$4
  mkdir -p "$outdir"
  nook_c_program "$cc" "$target" "$libdir" "$outdir/misuse" \
    abi/tests/misuse.c abi/tests/files.c abi/tests/threads.c abi/tests/port.c
  nook_c_program "$cc" "$target" "$libdir" "$outdir/conformance" abi/conformance/runner.c abi/tests/port.c
}
