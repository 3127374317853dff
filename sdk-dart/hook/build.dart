// The build hook of package:nook: bundles libnook with the app.
//
// Run by `dart run`, `dart test`, `dart build` and `flutter run/build` (Dart
// 3.10+). For the target being built it:
// 1. uses the file named by the user-define `library_path`, if any
//    (pubspec.yaml: `hooks: user_defines: nook: library_path: ...`);
// 2. else bundles the prebuilt library in `native/<os>-<arch>/` of this
//    package when present (release packages ship these for Android, iOS,
//    macOS, Linux and Windows);
// 3. else, when building for the host and this package sits in the Nook
//    repository, builds it with `cargo build --release -p nook-abi`;
// 4. else fails, saying which file to provide.
// The user-define `skip: true` bundles nothing (then set NOOK_LIBRARY_PATH or
// pass `libraryPath:` at run time).

import 'dart:io';

import 'package:code_assets/code_assets.dart';
import 'package:hooks/hooks.dart';

/// The asset id is `package:nook/src/bindings.g.dart`: the library whose
/// `@Native` functions it provides.
const String _assetName = 'src/bindings.g.dart';

void main(List<String> args) async {
  await build(args, (input, output) async {
    if (!input.config.buildCodeAssets) return;
    if (input.userDefines['skip'] == true) {
      stderr.writeln('nook: user-define skip is set; no library bundled');
      return;
    }
    final code = input.config.code;
    final fileName = code.targetOS.dylibFileName('nook');

    final explicit = input.userDefines.path('library_path');
    final prebuilt = input.packageRoot
        .resolve('native/${_targetDir(code)}/$fileName');
    final Uri library;
    if (explicit != null) {
      library = explicit;
    } else if (File.fromUri(prebuilt).existsSync()) {
      library = prebuilt;
    } else {
      library = await _cargoBuild(input, output, fileName);
    }
    if (!File.fromUri(library).existsSync()) {
      throw StateError('nook: the library ${library.toFilePath()} does not '
          'exist');
    }
    output.dependencies.add(library);
    output.assets.code.add(CodeAsset(
      package: input.packageName,
      name: _assetName,
      linkMode: DynamicLoadingBundled(),
      file: library,
    ));
  });
}

/// `linux-x64`, `android-arm64`, `ios-arm64-simulator`, ...
String _targetDir(CodeConfig code) {
  final base = '${code.targetOS.name}-${code.targetArchitecture.name}';
  if (code.targetOS == OS.iOS &&
      code.iOS.targetSdk == IOSSdk.iPhoneSimulator) {
    return '$base-simulator';
  }
  return base;
}

/// Builds libnook for the host with cargo and returns the built file.
Future<Uri> _cargoBuild(
    BuildInput input, BuildOutputBuilder output, String fileName) async {
  final code = input.config.code;
  final wanted = 'native/${_targetDir(code)}/$fileName';
  if (code.targetOS != OS.current ||
      code.targetArchitecture != Architecture.current) {
    throw UnsupportedError(
        'nook: no prebuilt library for ${_targetDir(code)}: put it at '
        '$wanted in the nook package (build it with cargo for that target, '
        'see README.md), or set the user-define library_path');
  }
  final workspace = _findWorkspace(Directory.fromUri(input.packageRoot));
  if (workspace == null) {
    throw UnsupportedError(
        'nook: no prebuilt library at $wanted and this package is not inside '
        'the Nook repository, so it cannot be built here; use a release of '
        'the package that ships native/, or set the user-define library_path');
  }
  final ProcessResult result;
  try {
    result = await Process.run(
      'cargo',
      ['build', '--release', '-p', 'nook-abi'],
      workingDirectory: workspace.path,
    );
  } on ProcessException catch (e) {
    throw UnsupportedError(
        'nook: no prebuilt library at $wanted and cargo could not be run '
        '($e); install Rust (https://rustup.rs) or set the user-define '
        'library_path');
  }
  if (result.exitCode != 0) {
    throw StateError('nook: `cargo build --release -p nook-abi` failed in '
        '${workspace.path}:\n${result.stderr}');
  }
  final built = workspace.uri.resolve('target/release/$fileName');
  // Re-run the hook when a source of the library changes: cargo writes the
  // list of every input file next to the library (libnook.so -> libnook.d).
  final stem = fileName.substring(0, fileName.lastIndexOf('.'));
  final depInfo =
      File.fromUri(workspace.uri.resolve('target/release/$stem.d'));
  if (depInfo.existsSync()) {
    for (final path in _depInfoInputs(depInfo.readAsStringSync())) {
      output.dependencies.add(Uri.file(path));
    }
  }
  output.dependencies.add(workspace.uri.resolve('Cargo.lock'));
  return built;
}

/// The Cargo workspace holding `abi/` above [start], if any.
Directory? _findWorkspace(Directory start) {
  Directory? dir = start.absolute;
  while (dir != null) {
    final manifest = File('${dir.path}/Cargo.toml');
    if (manifest.existsSync() &&
        manifest.readAsStringSync().contains('[workspace]') &&
        File('${dir.path}/abi/Cargo.toml').existsSync()) {
      return dir;
    }
    final parent = dir.parent;
    dir = parent.path == dir.path ? null : parent;
  }
  return null;
}

/// The input files listed in a Cargo dep-info file (`target: a.rs b.rs`,
/// spaces in names escaped as `\ `).
List<String> _depInfoInputs(String text) {
  final out = <String>[];
  for (final line in text.split('\n')) {
    final colon = line.indexOf(': ');
    if (colon < 0) continue;
    final rest = line.substring(colon + 2);
    final buffer = StringBuffer();
    for (var i = 0; i < rest.length; i++) {
      final c = rest[i];
      if (c == '\\' && i + 1 < rest.length && rest[i + 1] == ' ') {
        buffer.write(' ');
        i++;
      } else if (c == ' ') {
        if (buffer.isNotEmpty) out.add(buffer.toString());
        buffer.clear();
      } else {
        buffer.write(c);
      }
    }
    if (buffer.isNotEmpty) out.add(buffer.toString());
  }
  return out;
}
