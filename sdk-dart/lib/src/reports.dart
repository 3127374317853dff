part of 'database.dart';

/// When a commit reaches the disk.
enum Durability {
  /// A commit returns only once it is durable (fsynced). The default.
  immediate,

  /// Commits are visible at once but durable only after [Nook.sync], [Nook.close]
  /// or at least once a second; a crash loses at most those commits and never
  /// corrupts the file.
  relaxed,
}

/// Figures about a database, from [Nook.stats].
final class NookStats {
  NookStats._(List<int> f)
      : keyCount = f[nookStatKeyCount],
        txid = f[nookStatTxid],
        pageSize = f[nookStatPageSize],
        pageCount = f[nookStatPageCount],
        freePages = f[nookStatFreePages],
        fileSize = f[nookStatFileSize],
        treeDepth = f[nookStatTreeDepth],
        innerPages = f[nookStatInnerPages],
        leafPages = f[nookStatLeafPages],
        overflowPages = f[nookStatOverflowPages],
        cacheCapacity = f[nookStatCacheCapacity],
        cacheUsed = f[nookStatCacheUsed],
        cacheHits = f[nookStatCacheHits],
        cacheMisses = f[nookStatCacheMisses];

  /// Number of keys.
  final int keyCount;

  /// Id of the last committed transaction.
  final int txid;

  /// Page size in bytes.
  final int pageSize;

  /// Pages in the file.
  final int pageCount;

  /// Free (reusable) pages.
  final int freePages;

  /// File size in bytes (0 in memory).
  final int fileSize;

  /// Depth of the index trie.
  final int treeDepth;

  /// Inner pages of the index.
  final int innerPages;

  /// Leaf pages of the index.
  final int leafPages;

  /// Overflow pages (large values).
  final int overflowPages;

  /// Page cache capacity in bytes.
  final int cacheCapacity;

  /// Page cache bytes in use.
  final int cacheUsed;

  /// Page cache hits.
  final int cacheHits;

  /// Page cache misses.
  final int cacheMisses;

  @override
  String toString() => 'NookStats(keys: $keyCount, txid: $txid, '
      'pages: $pageCount x $pageSize B, free: $freePages, file: $fileSize B)';
}

/// What [Nook.check] verified.
final class CheckReport {
  const CheckReport._(this.pagesChecked, this.keysChecked);

  /// Pages whose checksum and structure were verified.
  final int pagesChecked;

  /// Keys visited.
  final int keysChecked;

  @override
  String toString() =>
      'CheckReport(pages: $pagesChecked, keys: $keysChecked)';
}

/// What [Nook.compact] did.
final class CompactReport {
  const CompactReport._(this.sizeBefore, this.sizeAfter);

  /// File size before, in bytes.
  final int sizeBefore;

  /// File size after, in bytes.
  final int sizeAfter;

  @override
  String toString() => 'CompactReport($sizeBefore B -> $sizeAfter B)';
}
