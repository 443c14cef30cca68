import Testing

@testable import RouterServer

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's RSS comes back after a burst only if freed heap pages go back to the system.
@Suite struct MemoryTrimTests {
    @Test func trimReturnsFreedHeapPagesToTheSystem() {
        // 64 MiB in small blocks (below the mmap threshold, so they live in malloc's arenas), then freed.
        let blocks = (0..<131_072).map { _ -> UnsafeMutableRawPointer? in
            let block = malloc(512)
            if let block { memset(block, 1, 512) }
            return block
        }
        // The last block stays, pinning the heap top: free() alone cannot shrink the heap past it,
        // only trimming (which also releases free pages below the top) can.
        for block in blocks.dropLast() { free(block) }
        #expect(MemoryTrimService.trim(), "malloc_trim released nothing after 64 MiB were freed")
        free(blocks.last ?? nil)
    }
}
