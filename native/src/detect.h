// Blind detector. accumulate() downsamples each frame to a working raster
// (128 lines), high-passes it, clips outliers and adds it (weighted by
// 1/noise) to a running residual, and notes which rows and columns ever carry
// picture (the rest are letterbox/pillarbox bands). result() searches, over the
// active picture only, tile period (x and y independently), mirroring (both
// axes) and cyclic offset with the pilot, then decodes the payload at the best
// alignment. Frames need no sync: in mark version 1 every frame carries the
// same tile; in version 2 the tile's keyed sign flips per 192-frame group, so
// when the plain sum decodes nothing the reader folds its time segments into
// windows (group-long at the phase with the most pilot energy, else 96-frame)
// and sums them sign-corrected. Whether the sign turns in one frame or over the
// embedder's ramp (pattern.h signFactor) it need not know: the ramp is odd about
// the boundary, so a group-long window sums to what it would with a hard flip,
// less the ramp's shortfall of |sign| below 1. Version 3 (unreleased, per-chip
// signs) is read only by a detector made with readChips: it is placed in the chip
// sequence by chipsync.h, then summed with the chips' signs.
#pragma once
#include <cstdint>
#include <vector>

#include "fft.h"
#include "pattern.h"

namespace vigil {

struct DetectResult {
  bool found = false;
  uint32_t payload = 0;
  double confidence = 0.0;            // 1 - falseAlarmProbability
  double falseAlarmProbability = 1.0;
  double pilotZ = 0.0;                // pilot correlation peak, in sigmas
  double dataZ = 0.0;                 // correlation with the full expected tile (found only)
  int framesUsed = 0;
  // Read as a version-2 (sign-changing) mark: the plain sum of frames held none, the windowed
  // search found it (a version-1 copy is read by the plain sum first).
  bool timeVarying = false;
  // Version 2 read with windows aligned to the sign groups: the clip frame (0..191) at which a
  // group begins, as found (to the nearest time segment); -1 otherwise.
  int signPhase = -1;
  int framesWithMark = 0;
  // Version 3 (read only by a detector made to read it): the copy's frame number of the clip's
  // first frame as the chip sync found it, and that sync's z; -1 / 0 otherwise.
  int chipStart = -1;
  double syncZ = 0.0;
  double periodX = 0.0, periodY = 0.0;  // tile period found, in input pixels
  int hypotheses = 0;                 // period hypotheses (each tried in the 4 orientations)
  bool mirroredX = false, mirroredY = false;  // the tile was found mirrored left-right / top-bottom
  double rotation = 0.0;              // degrees the residual was turned back by where it was found
  // the active picture the search used (bands of constant rows/columns left out), input pixels
  int activeX = 0, activeY = 0, activeWidth = 0, activeHeight = 0;
  // Informed (ledger) scoring: the cell soft values (kTileCells, tile cell order, pilot included)
  // at each candidate alignment that was read, best pilot first; when found, the last one is the
  // alignment the payload decoded at. A mixture of copies may decode to nothing, or to an ID
  // nobody has, where these still carry every colluder's codeword.
  std::vector<std::vector<float>> alignmentSoft;
  std::vector<double> alignmentZ;
};

constexpr int kWorkLines = 128;
constexpr int kBins = 64;              // fold bins per tile side (4 per cell)
constexpr int kMaxSegments = 128;
// Version 3: the reader keeps each pair of frames' residual (a chip's factor changes within it by
// little) for the first kChipReadFrames frames of a clip, and tries this many sync candidates.
constexpr int kChipSegFrames = 2;
constexpr int kChipReadFrames = 1152;
constexpr int kChipTries = 3;

class Detector {
 public:
  // readChips: also read mark version 3 (pattern.h chipFactor), at the cost of keeping the first
  // kChipReadFrames frames' residuals and up to kChipTries more reads when versions 1 and 2 fail.
  Detector(const uint8_t key[32], int width, int height, int bitDepth, bool readChips = false);
  void accumulate8(const uint8_t* plane, int stride);
  void accumulate16(const uint16_t* plane, int stride);
  void accumulateFloat(const float* plane, int stride);  // 8-bit scale
  DetectResult result() const;
  void reset();
  int width() const { return w_; }
  int height() const { return h_; }
  int bitDepth() const { return depth_; }

 private:
  template <typename T>
  void downsample(const T* plane, int stride, float scale);
  void addResidual();

  struct Hyp {
    double px = 0, py = 0;
    double z = 0;
    double peak = 0;
    int ox = 0, oy = 0;
    int orient = 0;  // bit 0: mirrored left-right, bit 1: top-bottom
    int angle = 0;   // index into the rotation hypotheses
    uint64_t minus = 0;  // version-2 search: bit j set when window j carries the negated tile
  };
  struct Area {
    int x0 = 0, y0 = 0, w = 0, h = 0;
  };
  void noteActive();
  Area activeArea() const;
  // A fold resolution: n x n bins per tile, the pilot template's conj FFT in each
  // orientation (0 plain, 1 mirrored in x, 2 in y, 3 both), the main lobe's half-width.
  struct Grid {
    explicit Grid(int n) : bins(n), fft(n), lobe(n / 16) {}
    int bins;
    Fft2d fft;
    int lobe;
    std::vector<float> tRe[4], tIm[4];
  };
  void makeTemplates(Grid& g) const;
  static constexpr int kNumAngleHyps = 3;  // kAngles in detect.cc
  std::vector<float> cropActive(const std::vector<float>& plane, const Area& area, double scale) const;
  std::vector<Hyp> coarseStatic(const std::vector<float> (&rot)[kNumAngleHyps], int aw, int ah) const;
  std::vector<std::vector<float>> signWindows(const Area& area, std::vector<int>& windowOf) const;
  std::vector<Hyp> coarseSigned(const std::vector<std::vector<float>>& windows, int aw, int ah) const;
  Hyp groupPhase(const Area& area, const Hyp& c, std::vector<int>& windowOf, int& phase) const;
  void windowMaps(const std::vector<std::vector<float>>& folded, const Grid& g, size_t at, std::vector<double>& value,
                  std::vector<double>& meanSquare) const;
  std::vector<float> signedSum(const Area& area, const std::vector<float>& segSign) const;
  Hyp correlateWindows(const std::vector<std::vector<float>>& folded, const Grid& g) const;
  // The time segments a read's framesWithMark is counted over: each one's residual, frames, and
  // the sign its frames carry at the alignment read.
  struct TimeSegments {
    const std::vector<std::vector<float>>& planes;
    const std::vector<int>& frames;
    std::vector<float> sign;
  };
  // macTries: 0 when the pilot's z is a fair test (its false-alarm figure counts); else the number
  // of data-dependent reads made, the false-alarm figure resting on the MAC alone.
  void readCandidates(const std::vector<float>& r, const Area& area, std::vector<Hyp> coarse, int nh, const TimeSegments& time,
                      int macTries, DetectResult& out) const;
  bool readChipped(const Area& area, const DetectResult& blank, DetectResult& out) const;
  // Fold rows by period py into n row bins (sum over rows, per column), then columns by px.
  void foldRows(const float* r, int w, int h, double py, int n, std::vector<float>& rows, float* rowCount) const;
  void foldCols(const std::vector<float>& rows, const float* rowCount, int w, double px, int n, std::vector<float>& folded) const;
  void fold(const float* r, int w, int h, double px, double py, std::vector<float>& folded) const;  // kBins
  // Pilot correlation of a folded tile in the orientations of orientMask; the best one.
  Hyp correlate(const std::vector<float>& folded, int orientMask, const Grid& g) const;
  static void orient(const std::vector<float>& folded, int o, int n, std::vector<float>& out);
  void cellSoft(const std::vector<float>& folded, int ox, int oy, float* soft) const;

  uint8_t key_[32];
  int w_, h_, depth_;
  int ww_, hw_;
  TileKey tk_;
  std::vector<int> xmap_, ymap_;
  std::vector<float> invCount_;
  std::vector<uint32_t> rowSum_;
  std::vector<float> down_, res_, tmp_;
  std::vector<double> acc_;
  double wsum_ = 0;
  int frames_ = 0;
  std::vector<std::vector<float>> segs_;
  std::vector<int> segFrames_;
  int segLen_ = 1;
  Grid coarse_{kBins / 2}, fine_{kBins};  // search at 2 bins per cell, read at 4
  // letterbox/pillarbox: per working row/column, frames in which it carried picture
  std::vector<int> rowAct_, colAct_;
  std::vector<float> rowMean0_, colMean0_;
  // version 3: each frame's mean level, and the residuals of pairs of frames
  bool readChips_;
  uint64_t chipSeed_ = 0;
  std::vector<float> frameMeans_;
  std::vector<std::vector<float>> chipSegs_;
};

// Shared by the blind and non-blind readers.
// Separable r-radius box mean of a w x h plane (windows clamped at the borders).
void boxBlur(const std::vector<float>& in, std::vector<float>& out, std::vector<float>& tmp, int w, int h, int r);
// z of the fit of cell soft values to the expected cell values v, noise from the fit's residual.
double fitZ(const float* soft, const std::vector<float>& v);
// Soft values of the coded bits from cell soft values: the pilot removed (least squares), the
// cells despread onto the bits they carry.
std::vector<float> codedSoft(const TileKey& tk, const float* soft);

// Non-blind: register original onto leak, read the difference at the registered geometry.
struct PlaneRef {
  const void* data;
  int width, height, stride, bitDepth;
};
DetectResult detectWithOriginal(const uint8_t key[32], const PlaneRef& leak, const PlaneRef& original);

}  // namespace vigil
