/// Finding and loading libnook, once per isolate, and checking its ABI version.
///
/// Where the library comes from, in order:
/// 1. `libraryPath:` passed to the first `Nook.open`/`Nook.memory` of the
///    isolate (an explicit file, for tests and unusual setups);
/// 2. the `NOOK_LIBRARY_PATH` environment variable;
/// 3. the code asset that `hook/build.dart` bundles with the app (the normal
///    case: `dart run`, `dart test`, `flutter run` and `flutter build`).
///
/// The first call into the library is `nook_abi_version`; a library of another
/// ABI major, or an older minor than this package's header, is refused with an
/// [IncompatibleException] that says what to rebuild.
library;

import 'dart:convert' show utf8;
import 'dart:ffi';
import 'dart:io' show Platform;

import 'package:ffi/ffi.dart';

import 'bindings.g.dart';
import 'errors.dart';

/// The environment variable that names a libnook file to load.
const String libraryPathVariable = 'NOOK_LIBRARY_PATH';

/// The loaded library of this isolate.
final class NookLibrary {
  NookLibrary._(this.bindings, this.path, this.abiMajor, this.abiMinor,
      this.version)
      : finalizer = NativeFinalizer(bindings.nookFinalizeAddress);

  /// The functions of the library.
  final NookBindings bindings;

  /// The file it was loaded from, or null for the bundled code asset.
  final String? path;

  /// The library's ABI version.
  final int abiMajor, abiMinor;

  /// The library's own version text, e.g. `0.1.0`.
  final String version;

  /// Closes any handle (database, transaction, cursor, buffer, error) whose
  /// value is the token; attached to every handle the SDK owns.
  final NativeFinalizer finalizer;

  static NookLibrary? _current;

  /// The library of this isolate, loading it on first use from [libraryPath],
  /// `NOOK_LIBRARY_PATH`, or the bundled asset.
  ///
  /// Throws [InvalidArgumentException] when [libraryPath] differs from the
  /// library this isolate already uses, and [IncompatibleException] when no
  /// usable library can be loaded.
  static NookLibrary load({String? libraryPath}) {
    final current = _current;
    if (current != null) {
      if (libraryPath != null && libraryPath != current.path) {
        throw InvalidArgumentException(
            'this isolate already uses the Nook library from '
            '${current.path ?? 'the bundled code asset'}; one isolate uses one '
            'library, so pass the same libraryPath (or none) everywhere');
      }
      return current;
    }
    final env = Platform.environment[libraryPathVariable];
    final path = libraryPath ?? ((env == null || env.isEmpty) ? null : env);
    final loaded = path == null ? _fromAsset() : _fromFile(path);
    _current = loaded;
    return loaded;
  }

  static NookLibrary _fromFile(String path) {
    final DynamicLibrary library;
    try {
      library = DynamicLibrary.open(path);
    } on Object catch (e) {
      throw InvalidArgumentException(
          'cannot load the Nook library "$path" ($e); give the path of the '
          'libnook built by `cargo build --release -p nook-abi` '
          '(target/release/libnook.so, libnook.dylib or nook.dll)');
    }
    final NookBindings bindings;
    try {
      bindings = NookLibraryBindings(library);
    } on Object catch (e) {
      throw IncompatibleException(
          '"$path" is not a Nook library of ABI $nookAbiVersionMajor.x: $e; '
          'rebuild it from the same Nook release as this package');
    }
    return _checked(bindings, path);
  }

  static NookLibrary _fromAsset() {
    const bindings = NookAssetBindings();
    try {
      return _checked(bindings, null);
    } on NookException {
      rethrow;
    } on Object catch (e) {
      throw IncompatibleException(
          'the Nook library is not available: $e. The package\'s build hook '
          '(hook/build.dart) bundles it: it needs either a prebuilt library '
          'in native/<os>-<arch>/ or a Rust toolchain (cargo) for the host. '
          'Or set $libraryPathVariable (or pass libraryPath:) to a libnook '
          'built with `cargo build --release -p nook-abi`.');
    }
  }

  static NookLibrary _checked(NookBindings bindings, String? path) {
    final out = calloc<Uint32>(2);
    final text = calloc<Pointer<Uint8>>();
    final len = calloc<Size>();
    try {
      final status = bindings.nookAbiVersion(out, out + 1);
      if (status != 0) {
        throw IncompatibleException('nook_abi_version failed with status '
            '$status; the library at ${path ?? 'the bundled asset'} is broken');
      }
      final major = out[0];
      final minor = out[1];
      if (major != nookAbiVersionMajor || minor < nookAbiVersionMinor) {
        throw IncompatibleException(
            'the Nook library at ${path ?? 'the bundled asset'} has ABI '
            '$major.$minor, but this package needs ABI '
            '$nookAbiVersionMajor.$nookAbiVersionMinor or a later '
            '$nookAbiVersionMajor.x; use the library of the same Nook release '
            'as this package (rebuild it, or update the package)');
      }
      var version = 'unknown';
      if (bindings.nookLibraryVersion(text, len) == 0) {
        version = utf8.decode(text.value.asTypedList(len.value));
      }
      return NookLibrary._(bindings, path, major, minor, version);
    } finally {
      calloc.free(out);
      calloc.free(text);
      calloc.free(len);
    }
  }

  /// The static meaning of status [code] from the library (used as the
  /// message when a failing call gave no ERROR handle).
  String codeMessage(int code) {
    final text = calloc<Pointer<Uint8>>();
    final len = calloc<Size>();
    try {
      if (bindings.nookCodeMessage(code, text, len) != 0) {
        return 'status $code';
      }
      return utf8.decode(text.value.asTypedList(len.value),
          allowMalformed: true);
    } finally {
      calloc.free(text);
      calloc.free(len);
    }
  }
}
