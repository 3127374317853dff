import 'dart:ffi';

import 'package:nook/nook.dart';
import 'package:nook/src/library.dart';
import 'package:test/test.dart';

import 'support/temp.dart';

void main() {
  final library = NookLibrary.load();

  test('the finalizer function closes a handle as close would', () {
    // What a NativeFinalizer does when a Nook is garbage collected without
    // close(): call nook_finalize with the handle as the token.
    final db = Nook.memory();
    db.put('a', 1);
    library.bindings.nookFinalize(Pointer<Void>.fromAddress(db.nativeHandle));
    expect(() => db.get('a'), throwsA(isA<InvalidHandleException>()));
    // close() on a handle a finalizer already closed is harmless.
    expect(() => db.close(), throwsA(isA<InvalidHandleException>()));
    expect(db.isClosed, isTrue);
  });

  test('nook_finalize ignores stale and forged tokens', () {
    final db = Nook.memory();
    final handle = db.nativeHandle;
    db.close();
    library.bindings.nookFinalize(Pointer<Void>.fromAddress(handle));
    library.bindings.nookFinalize(Pointer<Void>.fromAddress(0));
    library.bindings.nookFinalize(Pointer<Void>.fromAddress(0x12345));
    final other = Nook.memory();
    addTearDown(other.close);
    other.put('still', 'fine');
    expect(other.get('still'), 'fine');
  });

  test('explicit close detaches the finalizer: a second close is a no-op', () {
    final db = Nook.memory();
    db.close();
    db.close();
    expect(db.isClosed, isTrue);
  });

  test('a forged handle is INVALID_HANDLE, not a crash', () {
    final db = Nook.memory();
    final handle = db.nativeHandle;
    db.close();
    final status = library.bindings.nookClose(handle);
    expect(status, NookErrorCode.invalidHandle);
  });

  test('many dropped databases, transactions and iterations are collected '
      'without close', () {
    // Nothing here is closed explicitly; the finalizers release the handles
    // when these objects are garbage collected. Allocating well past the
    // young generation makes collections happen during the loop.
    for (var i = 0; i < 2000; i++) {
      final db = Nook.memory();
      db.put('k', List.filled(100, i));
      db.beginRead().get('k');
      db.entries().iterator.moveNext();
    }
    final db = Nook.memory();
    addTearDown(db.close);
    db.put('after', 1);
    expect(db.get('after'), 1);
  });

  test('a file database dropped without close can be reopened', () {
    final path = tempDbPath();
    void openAndDrop() {
      Nook.open(path).put('a', 1);
    }

    openAndDrop();
    final db = Nook.open(path);
    addTearDown(db.close);
    expect(db.get('a'), 1);
  });

  test('closing a database closes its transactions and iterations: CLOSED',
      () {
    final db = Nook.memory();
    db.putAll({for (var i = 0; i < 10; i++) 'k$i': i});
    final txn = db.beginWrite();
    final it = db.entries().iterator..moveNext();
    db.close();
    expect(() => txn.put('x', 1), throwsA(isA<ClosedException>()));
    expect(() {
      while (it.moveNext()) {}
    }, throwsA(isA<ClosedException>()));
    expect(() => db.entries().first, throwsA(isA<ClosedException>()));
  });
}
