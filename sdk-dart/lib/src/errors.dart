/// The exceptions of the Nook SDK: one subclass of the sealed [NookException]
/// per error NAME of `spec/errors.toml` (generated into `errors.g.dart`), so a
/// `switch` over a caught [NookException] can be exhaustive.
library;

part 'errors.g.dart';

/// A failure reported by Nook: a stable [code] and [name] from
/// `spec/errors.toml`, and a [message] that says what went wrong and what to do.
///
/// ```dart
/// try {
///   db.insert('user:1', {'name': 'Ada'});
/// } on AlreadyExistsException catch (e) {
///   print('${e.name}: ${e.message}');
/// }
/// ```
sealed class NookException implements Exception {
  const NookException._(this.code, this.name, this.message);

  /// The exception for a status [code] returned by the library, carrying
  /// [message]. Unknown codes give an [UnknownCodeException].
  factory NookException.fromCode(int code, String message) =>
      _exceptionForCode(code, message);

  /// The stable numeric code (never 0: 0 is OK).
  final int code;

  /// The stable upper-case name, e.g. `NOT_FOUND`.
  final String name;

  /// What went wrong and what to do about it.
  final String message;

  @override
  String toString() => 'NookException($name, code $code): $message';
}

/// A status code that this version of the package does not know: a newer
/// library of the same ABI major may append codes (see `spec/versioning.md`).
final class UnknownCodeException extends NookException {
  /// An error with a [code] not in this package's table.
  const UnknownCodeException(int code, String message)
      : super._(code, 'UNKNOWN', message);
}
