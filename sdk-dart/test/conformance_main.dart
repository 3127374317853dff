// Runs the shared conformance suite and prints the one line that
// tests/conformance.sh collects: `dart: N passed, M failed, K skipped`.
// Exits 1 when any case failed. Run from sdk-dart/: dart run test/conformance_main.dart
import 'dart:io';

import 'conformance/runner.dart';

void main() {
  final dir = conformanceDir();
  if (dir == null) {
    stdout.writeln('dart: skipped (spec/conformance not found)');
    return;
  }
  var passed = 0, failed = 0, skipped = 0;
  for (final c in loadCases(dir)) {
    final scratch = Directory.systemTemp.createTempSync('nook_conformance_');
    try {
      final result = runCase(c, scratch);
      if (result.skipped != null) {
        skipped++;
      } else if (result.failure == null) {
        passed++;
      } else {
        failed++;
        stderr.writeln('FAIL $c: ${result.failure}');
      }
    } on Object catch (e) {
      failed++;
      stderr.writeln('FAIL $c: runner error: $e');
    } finally {
      scratch.deleteSync(recursive: true);
    }
  }
  stdout.writeln('dart: $passed passed, $failed failed, $skipped skipped');
  if (failed > 0) exitCode = 1;
}
