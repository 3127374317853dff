part of 'database.dart';

/// One key-value pair read by iteration.
final class NookEntry {
  /// A pair of [key] bytes and [rawValue] CBOR bytes.
  NookEntry(this.key, this.rawValue);

  /// The key bytes.
  final Uint8List key;

  /// The value as stored: one CBOR data item.
  final Uint8List rawValue;

  /// The key as UTF-8 text ([FormatException] if it is not UTF-8).
  String get keyString => utf8.decode(key);

  /// The decoded value.
  Object? get value => cborDecode(rawValue);

  @override
  String toString() => 'NookEntry(${_show(key)}: ${_show(rawValue)})';

  static String _show(Uint8List b) =>
      b.map((x) => x.toRadixString(16).padLeft(2, '0')).join();
}

/// The pairs of a database snapshot or a transaction, under a prefix.
final class _Entries extends Iterable<NookEntry> {
  _Entries(this._db, this._txn, this._prefix);

  final Nook _db;
  final NookTxn? _txn;
  final Uint8List _prefix;

  @override
  Iterator<NookEntry> get iterator => _Cursor(_db, _txn, _prefix);
}

/// A native cursor, opened at the first [moveNext]; it fetches many pairs per
/// call and closes itself at the end (or is closed by a finalizer when an
/// iteration is abandoned).
final class _Cursor implements Iterator<NookEntry>, Finalizable, _Child {
  _Cursor(this._db, this._txn, this._prefix);

  final Nook _db;
  final NookTxn? _txn;
  final Uint8List _prefix;
  int _handle = 0;
  bool _started = false;
  bool _finished = false;
  Uint8List _batch = Uint8List(0);
  ByteData _view = ByteData(0);
  int _pos = 0;
  NookEntry? _current;

  @override
  NookEntry get current =>
      _current ?? (throw StateError('call moveNext() first'));

  @override
  bool get _live => _handle != 0;

  @override
  void _orphan() {
    if (_handle == 0) return;
    _handle = 0;
    _db._calls.library.finalizer.detach(this);
  }

  int get _owner {
    final txn = _txn;
    return txn == null ? _db._h : txn._h;
  }

  @override
  bool moveNext() {
    if (_finished) {
      _current = null;
      return false;
    }
    final owner = _owner; // throws ClosedException when the owner is closed
    if (!_started) {
      _started = true;
      _handle = _db._calls.cursorOpen(owner, _prefix);
      _db._calls.library.finalizer
          .attach(this, Pointer<Void>.fromAddress(_handle), detach: this);
      _db._adopt(this);
    }
    if (_pos >= _batch.length) {
      if (_handle == 0) {
        throw const ClosedException(
            'the iteration\'s database or transaction was closed');
      }
      try {
        _batch = _db._calls.cursorNext(_handle);
      } on Object {
        _close();
        rethrow;
      }
      _view = ByteData.sublistView(_batch);
      _pos = 0;
      if (_batch.isEmpty) {
        _close();
        _current = null;
        return false;
      }
    }
    final truncated = _pos + nookRecordHeaderLen > _batch.length;
    final keyLen = truncated ? 0 : _view.getUint32(_pos, Endian.little);
    final valueLen = truncated ? 0 : _view.getUint32(_pos + 4, Endian.little);
    final keyAt = _pos + nookRecordHeaderLen;
    final valueAt = keyAt + keyLen;
    _pos = valueAt + valueLen;
    if (truncated || _pos > _batch.length) {
      _close();
      throw const InternalException(
          'nook_cursor_next returned a truncated record; this is a bug in '
          'Nook, please report it');
    }
    _current = NookEntry(Uint8List.sublistView(_batch, keyAt, valueAt),
        Uint8List.sublistView(_batch, valueAt, _pos));
    return true;
  }

  void _close() {
    _finished = true;
    final h = _handle;
    if (h == 0) return;
    _handle = 0;
    _db._calls.library.finalizer.detach(this);
    // The status is ignored: a cursor whose transaction ended was already
    // closed natively, and there is nothing to do about a failed close.
    _db._calls.bindings.nookCursorClose(h);
  }
}
