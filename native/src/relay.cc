#include "relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace vigil {

namespace {

constexpr size_t kPage = 4096;

std::string sysError(const std::string& what) { return what + ": " + std::strerror(errno); }

// Ring buffers come straight from mmap: a pipe may still hold references to their pages after
// the relay ends (an encoder reads its last frames after we close our end), and pages that were
// munmapped are never handed out again by malloc while the pipe holds them.
struct Mapped {
  explicit Mapped(size_t bytes) : size((bytes + kPage - 1) / kPage * kPage) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw RelayError(sysError("cannot map a frame buffer"));
    data = static_cast<uint8_t*>(p);
  }
  ~Mapped() { munmap(data, size); }
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  size_t size;
  uint8_t* data;
};

// Pipes that hold two whole frames: a pipe smaller than a frame makes the decoder, the relay and
// the encoder wake each other several times per frame. Above pipe-max-size (1 MiB by default) a
// size needs CAP_SYS_RESOURCE, so sizes are tried from the one wanted down to 1 MiB; best effort,
// the pipe keeps its size when the kernel refuses all. Pages are taken only as a pipe fills.
constexpr int kPipeBytesMin = 1 << 20;
constexpr int kPipeBytesMax = 16 << 20;

void growPipe(int fd, size_t frameBytes) {
#ifdef F_SETPIPE_SZ
  for (int bytes = kPipeBytesMax; bytes >= kPipeBytesMin; bytes >>= 1) {
    if (bytes > kPipeBytesMin && static_cast<size_t>(bytes / 2) >= 2 * frameBytes) continue;  // half of it holds two frames
    if (fcntl(fd, F_SETPIPE_SZ, bytes) >= 0) return;
  }
#else
  (void)fd;
  (void)frameBytes;
#endif
}

void makeFifo(const std::string& path) {
  if (mkfifo(path.c_str(), 0600) != 0) throw RelayError(sysError("cannot create pipe " + path));
}

void embedInPlace(Embedder* e, uint8_t* luma) {
  if (!e) return;
  if (e->bitDepth() == 8)
    e->embed8(luma, e->width());
  else
    e->embed16(reinterpret_cast<uint16_t*>(luma), e->width());
}

}  // namespace

FrameRelay::FrameRelay(const std::string& dir, RelayLayout layout, std::vector<Embedder*> embedders)
    : layout_(layout), embedders_(std::move(embedders)) {
  if (embedders_.empty()) throw RelayError("a relay needs at least one sink");
  if (layout_.frameBytes == 0 || layout_.lumaBytes == 0 || layout_.lumaBytes > layout_.frameBytes)
    throw RelayError("bad frame layout");
  for (Embedder* e : embedders_) {
    if (e && static_cast<size_t>(e->width()) * e->height() * (e->bitDepth() > 8 ? 2 : 1) != layout_.lumaBytes)
      throw RelayError("embedder size does not match the frame layout");
  }
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw RelayError(sysError("cannot create wake pipe"));
  sourcePath_ = dir + "/frames-in";
  makeFifo(sourcePath_);
  for (size_t i = 0; i < embedders_.size(); i++) {
    sinkPaths_.push_back(dir + "/frames-out-" + std::to_string(i + 1));
    makeFifo(sinkPaths_.back());
  }
  // Opened now, non-blocking, so the decoder's open never waits for us; O_CLOEXEC everywhere, or
  // a child spawned later would inherit our ends and an encoder would never see end of input.
  sourceFd_ = open(sourcePath_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (sourceFd_ < 0) throw RelayError(sysError("cannot open " + sourcePath_));
  growPipe(sourceFd_, layout_.frameBytes);
}

FrameRelay::~FrameRelay() {
  closeAll();
  close(wake_[0]);
  close(wake_[1]);
  unlink(sourcePath_.c_str());
  for (const std::string& p : sinkPaths_) unlink(p.c_str());
}

void FrameRelay::cancel() {
  cancelled_.store(true);
  char b = 1;
  (void)!write(wake_[1], &b, 1);
}

void FrameRelay::closeAll() {
  if (sourceFd_ >= 0) close(sourceFd_);
  sourceFd_ = -1;
  for (int fd : sinkFds_) close(fd);
  sinkFds_.clear();
}

// Blocks until `fd` is ready for `events` (or hung up: the next read or write tells), or throws
// RelayCancelled when cancel() is called.
void FrameRelay::waitFor(int fd, short events, const char* what) {
  for (;;) {
    if (cancelled_.load()) throw RelayCancelled();
    pollfd fds[2] = {{fd, events, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw RelayError(sysError(std::string("waiting for ") + what));
    }
    if (fds[1].revents) throw RelayCancelled();
    if (fds[0].revents) return;
  }
}

void FrameRelay::openSinks() {
  for (size_t i = 0; i < sinkPaths_.size(); i++) {
    for (;;) {
      if (cancelled_.load()) throw RelayCancelled();
      int fd = open(sinkPaths_[i].c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) {
        sinkFds_.push_back(fd);
        break;
      }
      if (errno != ENXIO) throw RelayError(sysError("cannot open " + sinkPaths_[i]));
      // No reader yet: the encoder has not opened its input. Sleep 5 ms, or less if cancelled.
      pollfd w = {wake_[0], POLLIN, 0};
      poll(&w, 1, 5);
    }
    growPipe(sinkFds_.back(), layout_.frameBytes);
  }
}

// Reads `bytes` into dst. False at end of input; *got is then how many came.
bool FrameRelay::readBytes(uint8_t* dst, size_t bytes, size_t* got) {
  *got = 0;
  // A non-blocking read of a FIFO no writer has opened yet returns 0, as at end of input; poll
  // instead waits for the decoder to open its end (it reports a hang-up only once a writer came
  // and went). So the first read waits for the decoder's first bytes.
  if (!sourceOpened_) {
    waitFor(sourceFd_, POLLIN, "the decoder");
    sourceOpened_ = true;
  }
  while (*got < bytes) {
    ssize_t n = read(sourceFd_, dst + *got, bytes - *got);
    if (n > 0) {
      *got += static_cast<size_t>(n);
    } else if (n == 0) {
      return false;
    } else if (errno == EAGAIN) {
      waitFor(sourceFd_, POLLIN, "the decoder");
    } else if (errno != EINTR) {
      throw RelayError(sysError("reading frames from the decoder"));
    }
  }
  return true;
}

// Moves the next `bytes` of the decoder's pipe into the one sink's. False at end of input (*got:
// how many moved), or, with *got 0 and spliceChroma_ now false, when the kernel cannot splice
// these pipes: the caller then reads them instead.
bool FrameRelay::spliceChroma(size_t bytes, size_t* got) {
  *got = 0;
#ifndef SPLICE_F_MOVE
  spliceChroma_ = false;
  return false;
#else
  while (*got < bytes) {
    ssize_t n = splice(sourceFd_, nullptr, sinkFds_[0], nullptr, bytes - *got, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      *got += static_cast<size_t>(n);
    } else if (n == 0) {
      return false;
    } else if (errno == EAGAIN) {
      // Either side may be the one not ready: wait for whichever is not.
      pollfd ready[2] = {{sourceFd_, POLLIN, 0}, {sinkFds_[0], POLLOUT, 0}};
      if (poll(ready, 2, 0) < 0 && errno != EINTR) throw RelayError(sysError("waiting for the pipes"));
      if (!ready[0].revents) waitFor(sourceFd_, POLLIN, "the decoder");
      if (!ready[1].revents) waitFor(sinkFds_[0], POLLOUT, "encoder 1");
    } else if (errno == EINVAL && *got == 0) {
      spliceChroma_ = false;
      return false;
    } else if (errno == EPIPE) {
      throw RelayError("encoder 1 stopped reading frames");
    } else if (errno != EINTR) {
      throw RelayError(sysError("moving frames to encoder 1"));
    }
  }
  return true;
#endif
}

// Writes each sink's pieces, all sinks at once, waiting only when every pending sink is full.
void FrameRelay::sendAll(const std::vector<std::vector<iovec>>& perSink) {
  std::vector<std::vector<iovec>> left = perSink;
  std::vector<size_t> next(left.size(), 0);
  size_t pending = left.size();
  while (pending > 0) {
    std::vector<pollfd> waits;
    for (size_t i = 0; i < left.size(); i++) {
      std::vector<iovec>& v = left[i];
      if (next[i] == v.size()) continue;
      ssize_t n;
#ifdef SPLICE_F_NONBLOCK
      if (splice_) {
        n = vmsplice(sinkFds_[i], v.data() + next[i], v.size() - next[i], SPLICE_F_NONBLOCK);
        if (n < 0 && (errno == EINVAL || errno == ENOSYS || errno == EBADF)) {
          splice_ = false;
          n = writev(sinkFds_[i], v.data() + next[i], static_cast<int>(v.size() - next[i]));
        }
      } else
#endif
        n = writev(sinkFds_[i], v.data() + next[i], static_cast<int>(v.size() - next[i]));
      if (n < 0) {
        if (errno == EAGAIN) {
          waits.push_back({sinkFds_[i], POLLOUT, 0});
          continue;
        }
        if (errno == EINTR) continue;
        if (errno == EPIPE) throw RelayError("encoder " + std::to_string(i + 1) + " stopped reading frames");
        throw RelayError(sysError("writing frames to encoder " + std::to_string(i + 1)));
      }
      size_t done = static_cast<size_t>(n);
      while (done > 0 && next[i] < v.size()) {
        iovec& piece = v[next[i]];
        size_t take = std::min(done, piece.iov_len);
        piece.iov_base = static_cast<uint8_t*>(piece.iov_base) + take;
        piece.iov_len -= take;
        done -= take;
        if (piece.iov_len == 0) next[i]++;
      }
      if (next[i] == v.size()) pending--;
    }
    if (pending > 0 && waits.size() == pending) {
      waits.push_back({wake_[0], POLLIN, 0});
      if (cancelled_.load()) throw RelayCancelled();
      if (poll(waits.data(), waits.size(), -1) < 0 && errno != EINTR) throw RelayError(sysError("waiting for the encoders"));
      if (waits.back().revents) throw RelayCancelled();
    }
  }
}

uint64_t FrameRelay::run(size_t* trailingBytes) {
  *trailingBytes = 0;
  try {
    openSinks();
    // A sink's pipe holds pages of the frames we vmspliced until its encoder reads them, at most
    // its capacity in pages. A ring slot is refilled only after that many pages of later frames
    // went into every pipe, so no pipe can still refer to it.
    size_t pipePages = 16;
#ifdef F_GETPIPE_SZ
    for (int fd : sinkFds_) {
      int bytes = fcntl(fd, F_GETPIPE_SZ);
      if (bytes > 0) pipePages = std::max(pipePages, static_cast<size_t>(bytes) / kPage);
    }
#endif
    const size_t framePages = std::max<size_t>(1, layout_.frameBytes / kPage);
    const size_t depth = 2 + (pipePages + framePages - 1) / framePages;
    const size_t sinks = embedders_.size();
    std::vector<std::unique_ptr<Mapped>> ring, lumaRing;
    for (size_t s = 0; s < depth; s++) ring.push_back(std::make_unique<Mapped>(layout_.frameBytes));
    // The last sink's luma is marked in place. Every other sink whose luma must differ from that
    // (its own mark, or none while the last one is marked) gets its own copy.
    Embedder* const lastEmbedder = embedders_[sinks - 1];
    auto ownLuma = [&](size_t i) { return embedders_[i] != nullptr || lastEmbedder != nullptr; };
    for (size_t i = 0; i + 1 < sinks; i++)
      for (size_t s = 0; s < depth; s++) lumaRing.push_back(ownLuma(i) ? std::make_unique<Mapped>(layout_.lumaBytes) : nullptr);
    std::vector<std::vector<iovec>> pieces(sinks);
    const size_t chromaBytes = layout_.frameBytes - layout_.lumaBytes;
    for (uint64_t f = 0;; f++) {
      const size_t slot = f % depth;
      uint8_t* frame = ring[slot]->data;
      size_t got = 0;
      if (sinks == 1 && spliceChroma_) {
        if (!readBytes(frame, layout_.lumaBytes, &got)) {
          *trailingBytes = got;
          break;
        }
        embedInPlace(lastEmbedder, frame);
        pieces[0] = {{frame, layout_.lumaBytes}};
        sendAll(pieces);
        size_t moved = 0;
        const bool whole = spliceChroma(chromaBytes, &moved) || (!spliceChroma_ && readBytes(frame + layout_.lumaBytes, chromaBytes, &moved));
        if (!whole) {
          *trailingBytes = layout_.lumaBytes + moved;
          break;
        }
        if (!spliceChroma_ && moved > 0) {  // the kernel refused the splice: this frame's chroma was read instead
          pieces[0] = {{frame + layout_.lumaBytes, chromaBytes}};
          sendAll(pieces);
        }
        frames_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (!readBytes(frame, layout_.frameBytes, &got)) {
        *trailingBytes = got;
        break;
      }
      for (size_t i = 0; i + 1 < sinks; i++) {
        if (!ownLuma(i)) {
          pieces[i] = {{frame, layout_.frameBytes}};
          continue;
        }
        uint8_t* luma = lumaRing[i * depth + slot]->data;
        std::memcpy(luma, frame, layout_.lumaBytes);
        embedInPlace(embedders_[i], luma);
        pieces[i] = {{luma, layout_.lumaBytes}, {frame + layout_.lumaBytes, layout_.frameBytes - layout_.lumaBytes}};
      }
      embedInPlace(lastEmbedder, frame);
      pieces[sinks - 1] = {{frame, layout_.frameBytes}};
      sendAll(pieces);
      frames_.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (...) {
    closeAll();
    throw;
  }
  closeAll();
  return frames_.load();
}

}  // namespace vigil
