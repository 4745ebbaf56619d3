// FrameRelay: moves raw planar frames from a decoder to one or more encoders through named pipes,
// marking each copy's luma on the way, without touching JavaScript per frame.
//
//   decoder ─write─▶ FIFO ─read─▶ ring buffer ─embed─▶ vmsplice ─▶ FIFO_k ─read─▶ encoder k
//
// Why native: on a machine whose cores the encoder already fills, every copy of a frame and every
// wake-up costs wall time. A Node stream path reads 64 KB chunks into fresh buffers, copies them
// into a frame and copies the frame into the next pipe; here a frame is read straight into its ring
// slot and handed to each encoder's pipe by reference (vmsplice), so the relay adds one copy. With
// one encoder, only the luma is read: the chroma, never marked, is spliced from the decoder's pipe
// into the encoder's, moving page references and copying nothing.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/uio.h>

#include "embed.h"

namespace vigil {

struct RelayLayout {
  size_t frameBytes;  // one whole raw frame, planes back to back
  size_t lumaBytes;   // the leading luma plane
};

// A relay error that is not the caller's cancel: the message says which pipe and why.
struct RelayError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct RelayCancelled : std::runtime_error {
  RelayCancelled() : std::runtime_error("relay cancelled") {}
};

class FrameRelay {
 public:
  // Creates the FIFOs (source, and one sink per embedder entry; a null entry passes frames
  // unmarked) in `dir`, which must exist. The embedders must outlive run().
  FrameRelay(const std::string& dir, RelayLayout layout, std::vector<Embedder*> embedders);
  ~FrameRelay();
  FrameRelay(const FrameRelay&) = delete;
  FrameRelay& operator=(const FrameRelay&) = delete;

  const std::string& sourcePath() const { return sourcePath_; }
  const std::vector<std::string>& sinkPaths() const { return sinkPaths_; }

  // Blocking: opens the sinks (waiting for each encoder to open its end), then relays until the
  // decoder closes its end. Closes every sink before returning, so the encoders see end of input.
  // Returns the number of whole frames relayed; `trailingBytes` gets the size of a cut-off last
  // frame (0 when the decoder ended cleanly). Throws RelayError or RelayCancelled.
  uint64_t run(size_t* trailingBytes);
  // Thread-safe; wakes a blocked run(), which then throws RelayCancelled.
  void cancel();
  uint64_t frames() const { return frames_.load(std::memory_order_relaxed); }

 private:
  void waitFor(int fd, short events, const char* what);
  bool readBytes(uint8_t* dst, size_t bytes, size_t* got);
  bool spliceChroma(size_t bytes, size_t* got);
  void sendAll(const std::vector<std::vector<struct iovec>>& perSink);
  void openSinks();
  void closeAll();

  RelayLayout layout_;
  std::vector<Embedder*> embedders_;
  std::string sourcePath_;
  std::vector<std::string> sinkPaths_;
  int sourceFd_ = -1;
  std::vector<int> sinkFds_;
  int wake_[2] = {-1, -1};
  std::atomic<bool> cancelled_{false};
  std::atomic<uint64_t> frames_{0};
  bool sourceOpened_ = false;  // the decoder has opened its end (see readFrame)
  bool splice_ = true;  // vmsplice until a sink refuses it, then write()
  bool spliceChroma_ = true;  // one sink: chroma moves pipe to pipe until the kernel refuses it
};

}  // namespace vigil
