part of 'database.dart';

/// Writes to apply together, all or none, with [Nook.apply] or
/// [WriteTxn.apply]; one FFI call for the whole batch.
///
/// ```dart
/// final batch = NookBatch()
///   ..put('a', 1)
///   ..put('b', [1, 2])
///   ..delete('c');
/// db.apply(batch);
/// ```
final class NookBatch {
  /// An empty batch.
  NookBatch();

  final BytesBuilder _records = BytesBuilder();
  int _length = 0;

  /// Number of operations.
  int get length => _length;

  /// Whether the batch has no operation.
  bool get isEmpty => _length == 0;

  /// Sets [key] to [value] (encoded as CBOR).
  void put(Object key, Object? value) => putBytes(key, cborEncode(value));

  /// Sets [key] to [cbor], which must be one CBOR data item.
  void putBytes(Object key, Uint8List cbor) =>
      _add(nookBatchPut, _keyBytes(key), cbor);

  /// Deletes [key] (nothing happens if it is absent).
  void delete(Object key) => _add(nookBatchDelete, _keyBytes(key), Uint8List(0));

  void _add(int op, Uint8List key, Uint8List value) {
    if (key.length > 0xffffffff || value.length > 0xffffffff) {
      throw const ValueTooLargeException(
          'a batch record holds at most 4 GiB; values are at most 64 MiB');
    }
    final head = ByteData(nookBatchHeaderLen)
      ..setUint8(0, op)
      ..setUint32(1, key.length, Endian.little)
      ..setUint32(5, value.length, Endian.little);
    _records
      ..add(Uint8List.sublistView(head))
      ..add(key)
      ..add(value);
    _length++;
  }

  /// The packed records of `nook_write_batch`.
  Uint8List _bytes() => _records.toBytes();
}
