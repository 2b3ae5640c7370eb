#include "gateway/chunk_pool.h"

#include <vector>

namespace k4ds {
namespace {

struct Spares {
  std::vector<char*> chunks;
  ~Spares() {
    for (char* c : chunks) ::operator delete(c);
  }
};

Spares& spares() {
  thread_local Spares s;
  return s;
}

}  // namespace

char* take_chunk() {
  auto& s = spares().chunks;
  if (s.empty()) return static_cast<char*>(::operator new(kRelayChunk));
  char* c = s.back();
  s.pop_back();
  return c;
}

void give_chunk(char* chunk) noexcept {
  if (!chunk) return;
  auto& s = spares().chunks;
  if (s.size() < kMaxSpareChunks) {
    try {
      s.push_back(chunk);
      return;
    } catch (...) {  // no room to remember it: free it instead
    }
  }
  ::operator delete(chunk);
}

}  // namespace k4ds
