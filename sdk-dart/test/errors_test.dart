import 'dart:io';

import 'package:nook/nook.dart';
import 'package:test/test.dart';

/// An exhaustive switch over the sealed hierarchy: it stops compiling when a
/// NAME is added to spec/errors.toml until this SDK handles it.
String describe(NookException e) => switch (e) {
      NotFoundException() => 'not found',
      AlreadyExistsException() => 'already exists',
      InvalidArgumentException() => 'invalid argument',
      InvalidValueException() => 'invalid value',
      KeyTooLargeException() => 'key too large',
      ValueTooLargeException() => 'value too large',
      LockedException() => 'locked',
      CorruptedException() => 'corrupted',
      IoException() => 'io',
      ReadOnlyException() => 'read only',
      BusyException() => 'busy',
      ClosedException() => 'closed',
      IncompatibleException() => 'incompatible',
      DiskFullException() => 'disk full',
      InternalException() => 'internal',
      InvalidHandleException() => 'invalid handle',
      BufferTooSmallException() => 'buffer too small',
      UnknownCodeException() => 'unknown',
    };

void main() {
  test('every row of spec/errors.toml maps to its class, code and NAME', () {
    final toml = File('../spec/errors.toml');
    if (!toml.existsSync()) {
      markTestSkipped('spec/errors.toml is not beside this package');
      return;
    }
    final rows = <int, String>{};
    int? code;
    for (final line in toml.readAsLinesSync()) {
      if (line.startsWith('code = ')) code = int.parse(line.substring(7).trim());
      if (line.startsWith('name = ')) {
        rows[code!] = line.substring(7).trim().replaceAll('"', '');
      }
    }
    expect(rows.length, greaterThanOrEqualTo(17));
    expect(NookErrorCode.names, rows);
    rows.forEach((code, name) {
      final e = NookException.fromCode(code, 'what to do');
      expect(e.code, code);
      expect(e.name, name);
      expect(e.message, 'what to do');
      expect(e.osErrorCode, 0);
      expect(NookException.fromCode(code, 'm', osErrorCode: 28).osErrorCode,
          28);
      expect(e.runtimeType.toString(),
          '${name.split('_').map((w) => w[0] + w.substring(1).toLowerCase()).join()}Exception');
      expect(e.toString(), contains(name));
      expect(describe(e), isNot('unknown'));
    });
  });

  test('an unknown code gives UnknownCodeException with that code', () {
    final e = NookException.fromCode(999, 'from a newer library');
    expect(e, isA<UnknownCodeException>());
    expect(e.code, 999);
    expect(e.name, 'UNKNOWN');
    expect(describe(e), 'unknown');
  });

  test('the constants match the classes', () {
    expect(NookErrorCode.notFound, 1);
    expect(const NotFoundException('m').code, NookErrorCode.notFound);
    expect(const BufferTooSmallException('m').code, NookErrorCode.bufferTooSmall);
    expect(NookException.fromCode(NookErrorCode.locked, 'x'),
        isA<LockedException>());
  });

  test('library messages say what to do and name the function', () {
    final db = Nook.memory();
    addTearDown(db.close);
    try {
      db.put('', 1);
      fail('no exception');
    } on InvalidArgumentException catch (e) {
      expect(e.message, contains('nook_put'));
      expect(e.message, contains('key'));
    }
  });
}
