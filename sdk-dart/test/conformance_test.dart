// The shared conformance suite (spec/conformance/*.nkc) as Dart tests: one
// test per case, skipped (never passed) when this front end cannot run it.
import 'dart:io';

import 'package:test/test.dart';

import 'conformance/runner.dart';

void main() {
  final dir = conformanceDir();
  if (dir == null) {
    test('conformance suite', () {}, skip: 'spec/conformance is not beside this package');
    return;
  }
  final cases = loadCases(dir);
  test('the suite has cases', () => expect(cases.length, greaterThan(60)));
  for (final c in cases) {
    test('${c.file} ${c.name}', () {
      final scratch = Directory.systemTemp.createTempSync('nook_conformance_');
      addTearDown(() => scratch.deleteSync(recursive: true));
      final result = runCase(c, scratch);
      if (result.skipped != null) {
        markTestSkipped(result.skipped!);
        return;
      }
      expect(result.failure, isNull, reason: '$c');
    });
  }
}
