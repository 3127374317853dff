import 'dart:io';

import 'package:test/test.dart';

/// A fresh temporary directory, deleted after the test.
Directory tempDir() {
  final dir = Directory.systemTemp.createTempSync('nook_dart_test_');
  addTearDown(() {
    try {
      dir.deleteSync(recursive: true);
    } on FileSystemException {
      // Best effort: a file may still be open on Windows.
    }
  });
  return dir;
}

/// A path for a new database file in a fresh temporary directory.
String tempDbPath([String name = 'test.nook']) =>
    '${tempDir().path}${Platform.pathSeparator}$name';
