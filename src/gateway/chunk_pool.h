// ChunkPool: the relay's 16 KiB buffers, reused per I/O thread. An exchange takes its body
// buffer and its upstream read buffer from its thread's spares and gives them back when it
// ends, so the hot path neither calls malloc for them nor zeroes them, and an idle kept-alive
// connection holds neither.
//
// Contract
// - take_chunk() returns kRelayChunk uninitialized bytes: a spare of this thread, else new ones.
//   give_chunk() keeps up to kMaxSpareChunks spares per thread (1 MiB) and frees the rest; a
//   chunk may be given back on another thread than the one that took it.
// - ChunkAllocator lets a beast::basic_flat_buffer draw blocks of exactly kRelayChunk bytes
//   from the pool (reserve(kRelayChunk) on an empty buffer asks for exactly that); other sizes
//   go to operator new. Thread-safe: the spares are thread_local.
//
// Usage:
//   Chunk body = make_chunk();                        // back to the pool when it goes
//   beast::basic_flat_buffer<ChunkAllocator<char>> b;
//   b.reserve(kRelayChunk);  ...  if (b.size() == 0) b.shrink_to_fit();  // returns the block
#pragma once

#include <cstddef>
#include <memory>
#include <new>

namespace k4ds {

inline constexpr std::size_t kRelayChunk = 16 * 1024;
inline constexpr std::size_t kMaxSpareChunks = 64;

char* take_chunk();
void give_chunk(char* chunk) noexcept;

struct ChunkDeleter {
  void operator()(char* chunk) const noexcept { give_chunk(chunk); }
};
using Chunk = std::unique_ptr<char[], ChunkDeleter>;
inline Chunk make_chunk() { return Chunk(take_chunk()); }

template <class T>
struct ChunkAllocator {
  using value_type = T;
  ChunkAllocator() = default;
  template <class U>
  ChunkAllocator(const ChunkAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n * sizeof(T) == kRelayChunk) return reinterpret_cast<T*>(take_chunk());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) == kRelayChunk) return give_chunk(reinterpret_cast<char*>(p));
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const ChunkAllocator<U>&) const noexcept { return true; }
};

}  // namespace k4ds
