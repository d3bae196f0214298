// tunnelcv: the small C ABI over Debian's OpenCV 4.6 that Tunnel.Recognition calls with P/Invoke.
//
// Conventions (the C# side relies on them):
// - Every function that can fail returns int: 0 (or a documented non-negative value) on success,
//   -1 on failure, with the reason in tcv_last_error() (thread-local, so concurrent callers do not
//   overwrite each other's messages).
// - Every object handed out (Mat, Buffer, Capture, Writer, BgSub) is owned by the caller and is
//   freed by exactly one matching *_release call; the C# side wraps each in a SafeHandle.
// - tcv_live_objects() counts the objects currently alive, so tests can prove that nothing leaks.
// - No C++ exception crosses the ABI: it would abort the .NET process.

#include <opencv2/core.hpp>
#include <opencv2/freetype.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>
#include <opencv2/videoio.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#define TCV_API extern "C" __attribute__((visibility("default")))

namespace {

thread_local std::string g_error;
std::atomic<long> g_live{0};

struct Buffer {
    std::vector<uint8_t> bytes;
};

struct BgSub {
    cv::Ptr<cv::BackgroundSubtractorMOG2> mog2;
};

struct Font {
    cv::Ptr<cv::freetype::FreeType2> ft;
};

template <typename T, typename... Args>
T* make(Args&&... args) {
    T* p = new T(std::forward<Args>(args)...);
    g_live.fetch_add(1, std::memory_order_relaxed);
    return p;
}

template <typename T>
void destroy(T* p) {
    if (p == nullptr) return;
    delete p;
    g_live.fetch_sub(1, std::memory_order_relaxed);
}

int fail(const std::string& message) {
    g_error = message;
    return -1;
}

// Runs body, turning any exception into -1 and a message.
template <typename F>
int guard(const char* what, F&& body) {
    try {
        return body();
    } catch (const cv::Exception& e) {
        return fail(std::string(what) + ": " + e.what());
    } catch (const std::exception& e) {
        return fail(std::string(what) + ": " + e.what());
    } catch (...) {
        return fail(std::string(what) + ": unknown C++ exception");
    }
}

bool usable(const cv::Mat* m, const char* what) {
    if (m == nullptr) { fail(std::string(what) + ": null image"); return false; }
    if (m->empty()) { fail(std::string(what) + ": empty image"); return false; }
    return true;
}

int hand_out(cv::Mat&& result, cv::Mat** out) {
    *out = make<cv::Mat>(std::move(result));
    return 0;
}

}  // namespace

// ---------------------------------------------------------------- housekeeping

TCV_API const char* tcv_last_error() { return g_error.c_str(); }

TCV_API const char* tcv_opencv_version() { return CV_VERSION; }

TCV_API long tcv_live_objects() { return g_live.load(std::memory_order_relaxed); }

// ---------------------------------------------------------------- Mat

TCV_API void tcv_mat_release(cv::Mat* m) { destroy(m); }

// Copies `data` (rows x cols of `type`, rows `step` bytes apart) into a new Mat; data may be null for zeros.
TCV_API int tcv_mat_create(int rows, int cols, int type, const void* data, size_t step, cv::Mat** out) {
    return guard("mat_create", [&] {
        if (rows <= 0 || cols <= 0) return fail("mat_create: rows and cols must be positive");
        cv::Mat m = cv::Mat::zeros(rows, cols, type);
        if (data != nullptr) {
            size_t row_bytes = static_cast<size_t>(cols) * m.elemSize();
            if (step < row_bytes) return fail("mat_create: step is smaller than a row");
            for (int y = 0; y < rows; ++y)
                std::memcpy(m.ptr(y), static_cast<const uint8_t*>(data) + static_cast<size_t>(y) * step, row_bytes);
        }
        return hand_out(std::move(m), out);
    });
}

TCV_API int tcv_mat_info(const cv::Mat* m, int* rows, int* cols, int* type, size_t* step, void** data) {
    if (m == nullptr) return fail("mat_info: null image");
    *rows = m->rows;
    *cols = m->cols;
    *type = m->type();
    *step = m->step[0];
    *data = m->data;
    return 0;
}

TCV_API int tcv_mat_clone(const cv::Mat* src, cv::Mat** out) {
    return guard("mat_clone", [&] {
        if (!usable(src, "mat_clone")) return -1;
        return hand_out(src->clone(), out);
    });
}

// Sets every pixel to (c0, c1, c2, c3), in place.
TCV_API int tcv_mat_fill(cv::Mat* dst, const double* color4) {
    return guard("mat_fill", [&] {
        if (!usable(dst, "mat_fill")) return -1;
        dst->setTo(cv::Scalar(color4[0], color4[1], color4[2], color4[3]));
        return 0;
    });
}

// Deep copy of a rectangle, clipped to the image; fails if nothing is left.
TCV_API int tcv_mat_crop(const cv::Mat* src, int x, int y, int w, int h, cv::Mat** out) {
    return guard("mat_crop", [&] {
        if (!usable(src, "mat_crop")) return -1;
        cv::Rect r = cv::Rect(x, y, w, h) & cv::Rect(0, 0, src->cols, src->rows);
        if (r.empty()) return fail("mat_crop: rectangle lies outside the image");
        return hand_out((*src)(r).clone(), out);
    });
}

// ---------------------------------------------------------------- Buffer

TCV_API void tcv_buffer_release(Buffer* b) { destroy(b); }

TCV_API int tcv_buffer_data(const Buffer* b, const uint8_t** data, size_t* length) {
    if (b == nullptr) return fail("buffer_data: null buffer");
    *data = b->bytes.data();
    *length = b->bytes.size();
    return 0;
}

// ---------------------------------------------------------------- codecs

TCV_API int tcv_imdecode(const uint8_t* bytes, size_t length, int flags, cv::Mat** out) {
    return guard("imdecode", [&] {
        if (bytes == nullptr || length == 0) return fail("imdecode: no bytes");
        cv::Mat raw(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t*>(bytes));
        cv::Mat img = cv::imdecode(raw, flags);
        if (img.empty()) return fail("imdecode: the bytes are not an image OpenCV can decode (corrupt or unsupported format)");
        return hand_out(std::move(img), out);
    });
}

TCV_API int tcv_imencode(const char* ext, const cv::Mat* m, const int* params, int nparams, Buffer** out) {
    return guard("imencode", [&] {
        if (!usable(m, "imencode")) return -1;
        std::vector<int> p(params, params + (params ? nparams : 0));
        std::vector<uint8_t> bytes;
        if (!cv::imencode(ext, *m, bytes, p)) return fail(std::string("imencode: OpenCV could not encode as ") + ext);
        Buffer* b = make<Buffer>();
        b->bytes.swap(bytes);
        *out = b;
        return 0;
    });
}

// ---------------------------------------------------------------- imgproc

TCV_API int tcv_resize(const cv::Mat* src, int width, int height, int interpolation, cv::Mat** out) {
    return guard("resize", [&] {
        if (!usable(src, "resize")) return -1;
        if (width <= 0 || height <= 0) return fail("resize: width and height must be positive");
        cv::Mat dst;
        cv::resize(*src, dst, cv::Size(width, height), 0, 0, interpolation);
        return hand_out(std::move(dst), out);
    });
}

TCV_API int tcv_cvt_color(const cv::Mat* src, int code, cv::Mat** out) {
    return guard("cvt_color", [&] {
        if (!usable(src, "cvt_color")) return -1;
        cv::Mat dst;
        cv::cvtColor(*src, dst, code);
        return hand_out(std::move(dst), out);
    });
}

// Maps the quadrilateral quad (x0,y0 .. x3,y3: top-left, top-right, bottom-right, bottom-left)
// onto a width x height upright rectangle.
TCV_API int tcv_warp_perspective(const cv::Mat* src, const float* quad, int width, int height, int interpolation,
                                 int border_mode, cv::Mat** out) {
    return guard("warp_perspective", [&] {
        if (!usable(src, "warp_perspective")) return -1;
        if (quad == nullptr) return fail("warp_perspective: no quadrilateral");
        if (width <= 0 || height <= 0) return fail("warp_perspective: width and height must be positive");
        cv::Point2f from[4], to[4] = {{0.f, 0.f}, {float(width), 0.f}, {float(width), float(height)}, {0.f, float(height)}};
        for (int i = 0; i < 4; ++i) from[i] = cv::Point2f(quad[2 * i], quad[2 * i + 1]);
        cv::Mat h = cv::getPerspectiveTransform(from, to);
        cv::Mat dst;
        cv::warpPerspective(*src, dst, h, cv::Size(width, height), interpolation, border_mode);
        return hand_out(std::move(dst), out);
    });
}

TCV_API int tcv_in_range(const cv::Mat* src, const double* low, const double* high, cv::Mat** out) {
    return guard("in_range", [&] {
        if (!usable(src, "in_range")) return -1;
        cv::Scalar lo(low[0], low[1], low[2], low[3]), hi(high[0], high[1], high[2], high[3]);
        cv::Mat dst;
        cv::inRange(*src, lo, hi, dst);
        return hand_out(std::move(dst), out);
    });
}

TCV_API int tcv_threshold(const cv::Mat* src, double thresh, double maxval, int type, double* used, cv::Mat** out) {
    return guard("threshold", [&] {
        if (!usable(src, "threshold")) return -1;
        cv::Mat dst;
        *used = cv::threshold(*src, dst, thresh, maxval, type);
        return hand_out(std::move(dst), out);
    });
}

TCV_API int tcv_morphology(const cv::Mat* src, int op, int shape, int kw, int kh, int iterations, cv::Mat** out) {
    return guard("morphology", [&] {
        if (!usable(src, "morphology")) return -1;
        if (kw <= 0 || kh <= 0) return fail("morphology: kernel size must be positive");
        cv::Mat kernel = cv::getStructuringElement(shape, cv::Size(kw, kh));
        cv::Mat dst;
        cv::morphologyEx(*src, dst, op, kernel, cv::Point(-1, -1), iterations);
        return hand_out(std::move(dst), out);
    });
}

// Contours of an 8-bit single-channel image, packed as int32:
// [count, n_0 .. n_{count-1}, x,y of contour 0 ..., x,y of contour 1 ...].
TCV_API int tcv_find_contours(const cv::Mat* src, int mode, int method, Buffer** out) {
    return guard("find_contours", [&] {
        if (!usable(src, "find_contours")) return -1;
        if (src->type() != CV_8UC1) return fail("find_contours: needs an 8-bit single-channel image");
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(*src, contours, mode, method);
        size_t total = 1 + contours.size();
        for (const auto& c : contours) total += 2 * c.size();
        std::vector<int32_t> packed;
        packed.reserve(total);
        packed.push_back(static_cast<int32_t>(contours.size()));
        for (const auto& c : contours) packed.push_back(static_cast<int32_t>(c.size()));
        for (const auto& c : contours)
            for (const auto& p : c) { packed.push_back(p.x); packed.push_back(p.y); }
        Buffer* b = make<Buffer>();
        b->bytes.resize(packed.size() * sizeof(int32_t));
        std::memcpy(b->bytes.data(), packed.data(), b->bytes.size());
        *out = b;
        return 0;
    });
}

// Smallest rotated rectangle around n points (x,y interleaved): out = cx, cy, w, h, angle (degrees).
TCV_API int tcv_min_area_rect(const int32_t* xy, int n, float* out5) {
    return guard("min_area_rect", [&] {
        if (xy == nullptr || n <= 0) return fail("min_area_rect: no points");
        std::vector<cv::Point> pts(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) pts[static_cast<size_t>(i)] = cv::Point(xy[2 * i], xy[2 * i + 1]);
        cv::RotatedRect r = cv::minAreaRect(pts);
        out5[0] = r.center.x; out5[1] = r.center.y; out5[2] = r.size.width; out5[3] = r.size.height; out5[4] = r.angle;
        return 0;
    });
}

// Writes an 8-bit 3-channel image as planar float into dst (dst_w x dst_h per plane, image at the
// top-left, the rest untouched): dst = (pixel - mean[c]) * scale[c], channels in the Mat's order.
// This is the networks' input layout; doing it here saves a per-pixel loop through managed code.
TCV_API int tcv_to_planar_float(const cv::Mat* src, float* dst, int dst_w, int dst_h, const float* mean,
                                const float* scale) {
    return guard("to_planar_float", [&] {
        if (!usable(src, "to_planar_float")) return -1;
        if (src->type() != CV_8UC3) return fail("to_planar_float: needs an 8-bit 3-channel image");
        if (src->cols > dst_w || src->rows > dst_h) return fail("to_planar_float: image larger than the tensor");
        const size_t plane = static_cast<size_t>(dst_w) * static_cast<size_t>(dst_h);
        for (int y = 0; y < src->rows; ++y) {
            const uint8_t* p = src->ptr<uint8_t>(y);
            float* d0 = dst + static_cast<size_t>(y) * dst_w;
            float* d1 = d0 + plane;
            float* d2 = d1 + plane;
            for (int x = 0; x < src->cols; ++x) {
                d0[x] = (p[3 * x] - mean[0]) * scale[0];
                d1[x] = (p[3 * x + 1] - mean[1]) * scale[1];
                d2[x] = (p[3 * x + 2] - mean[2]) * scale[2];
            }
        }
        return 0;
    });
}

// ---------------------------------------------------------------- background subtraction

TCV_API int tcv_mog2_create(int history, double var_threshold, int detect_shadows, BgSub** out) {
    return guard("mog2_create", [&] {
        BgSub* b = make<BgSub>();
        b->mog2 = cv::createBackgroundSubtractorMOG2(history, var_threshold, detect_shadows != 0);
        *out = b;
        return 0;
    });
}

TCV_API int tcv_mog2_apply(BgSub* b, const cv::Mat* frame, double learning_rate, cv::Mat** out) {
    return guard("mog2_apply", [&] {
        if (b == nullptr) return fail("mog2_apply: null subtractor");
        if (!usable(frame, "mog2_apply")) return -1;
        cv::Mat mask;
        b->mog2->apply(*frame, mask, learning_rate);
        return hand_out(std::move(mask), out);
    });
}

TCV_API void tcv_mog2_release(BgSub* b) { destroy(b); }

// ---------------------------------------------------------------- video

TCV_API int tcv_capture_open(const char* url, int api, cv::VideoCapture** out) {
    return guard("capture_open", [&] {
        if (url == nullptr || *url == 0) return fail("capture_open: no source");
        auto* cap = make<cv::VideoCapture>();
        if (!cap->open(url, api)) {
            destroy(cap);
            return fail(std::string("capture_open: cannot open '") + url + "' (missing file, unreachable stream or unsupported codec)");
        }
        *out = cap;
        return 0;
    });
}

// 1 = a frame in *out, 0 = end of stream (nothing in *out), -1 = error.
TCV_API int tcv_capture_read(cv::VideoCapture* cap, cv::Mat** out) {
    return guard("capture_read", [&] {
        if (cap == nullptr) return fail("capture_read: null capture");
        cv::Mat frame;
        if (!cap->read(frame) || frame.empty()) return 0;
        hand_out(std::move(frame), out);
        return 1;
    });
}

TCV_API double tcv_capture_get(cv::VideoCapture* cap, int prop) { return cap ? cap->get(prop) : 0.0; }

TCV_API void tcv_capture_release(cv::VideoCapture* cap) { destroy(cap); }

TCV_API int tcv_writer_open(const char* path, const char* fourcc, double fps, int width, int height, int is_color,
                            cv::VideoWriter** out) {
    return guard("writer_open", [&] {
        if (path == nullptr || fourcc == nullptr || std::strlen(fourcc) != 4) return fail("writer_open: need a path and a 4-letter fourcc");
        auto* w = make<cv::VideoWriter>();
        int code = cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]);
        if (!w->open(path, cv::CAP_FFMPEG, code, fps, cv::Size(width, height), is_color != 0)) {
            destroy(w);
            return fail(std::string("writer_open: cannot write '") + path + "' as " + fourcc);
        }
        *out = w;
        return 0;
    });
}

TCV_API int tcv_writer_write(cv::VideoWriter* w, const cv::Mat* frame) {
    return guard("writer_write", [&] {
        if (w == nullptr) return fail("writer_write: null writer");
        if (!usable(frame, "writer_write")) return -1;
        w->write(*frame);
        return 0;
    });
}

TCV_API void tcv_writer_release(cv::VideoWriter* w) { destroy(w); }

// ---------------------------------------------------------------- measurements (motion gating, sharpness)

TCV_API int tcv_abs_diff(const cv::Mat* a, const cv::Mat* b, cv::Mat** out) {
    return guard("abs_diff", [&] {
        if (!usable(a, "abs_diff") || !usable(b, "abs_diff")) return -1;
        if (a->size() != b->size() || a->type() != b->type()) return fail("abs_diff: images differ in size or type");
        cv::Mat dst;
        cv::absdiff(*a, *b, dst);
        return hand_out(std::move(dst), out);
    });
}

// dst = saturate(src * alpha + beta), same type.
TCV_API int tcv_convert_scale(const cv::Mat* src, double alpha, double beta, cv::Mat** out) {
    return guard("convert_scale", [&] {
        if (!usable(src, "convert_scale")) return -1;
        cv::Mat dst;
        src->convertTo(dst, -1, alpha, beta);
        return hand_out(std::move(dst), out);
    });
}

// Non-zero pixels of a single-channel image.
TCV_API int tcv_count_non_zero(const cv::Mat* src, long* count) {
    return guard("count_non_zero", [&] {
        if (!usable(src, "count_non_zero")) return -1;
        if (src->channels() != 1) return fail("count_non_zero: needs a single-channel image");
        *count = cv::countNonZero(*src);
        return 0;
    });
}

// Per-channel mean and standard deviation (4 values each, unused channels 0), over mask's non-zero pixels if mask is given.
TCV_API int tcv_mean_std_dev(const cv::Mat* src, const cv::Mat* mask, double* mean4, double* std4) {
    return guard("mean_std_dev", [&] {
        if (!usable(src, "mean_std_dev")) return -1;
        cv::Scalar mean, sd;
        if (mask != nullptr) {
            if (mask->size() != src->size() || mask->type() != CV_8UC1) return fail("mean_std_dev: mask must be 8-bit single-channel and the image's size");
            cv::meanStdDev(*src, mean, sd, *mask);
        } else {
            cv::meanStdDev(*src, mean, sd);
        }
        for (int i = 0; i < 4; ++i) { mean4[i] = mean[i]; std4[i] = sd[i]; }
        return 0;
    });
}

// Variance of the Laplacian of the image's grey levels: the usual focus/sharpness measure (blur lowers it).
TCV_API int tcv_laplacian_variance(const cv::Mat* src, double* variance) {
    return guard("laplacian_variance", [&] {
        if (!usable(src, "laplacian_variance")) return -1;
        cv::Mat gray;
        if (src->channels() == 3) cv::cvtColor(*src, gray, cv::COLOR_BGR2GRAY);
        else if (src->channels() == 1) gray = *src;
        else return fail("laplacian_variance: needs a 1- or 3-channel image");
        cv::Mat lap;
        cv::Laplacian(gray, lap, CV_32F);
        cv::Scalar mean, sd;
        cv::meanStdDev(lap, mean, sd);
        *variance = sd[0] * sd[0];
        return 0;
    });
}

// Connected components of an 8-bit binary image, background excluded, packed as int32:
// [count, then x, y, width, height, area for each component].
TCV_API int tcv_connected_components(const cv::Mat* src, int connectivity, Buffer** out) {
    return guard("connected_components", [&] {
        if (!usable(src, "connected_components")) return -1;
        if (src->type() != CV_8UC1) return fail("connected_components: needs an 8-bit single-channel image");
        if (connectivity != 4 && connectivity != 8) return fail("connected_components: connectivity is 4 or 8");
        cv::Mat labels, stats, centroids;
        int n = cv::connectedComponentsWithStats(*src, labels, stats, centroids, connectivity, CV_32S);
        std::vector<int32_t> packed;
        packed.reserve(1 + 5 * static_cast<size_t>(n > 0 ? n - 1 : 0));
        packed.push_back(n > 0 ? n - 1 : 0);
        for (int i = 1; i < n; ++i)
            for (int k = 0; k < 5; ++k) packed.push_back(stats.at<int32_t>(i, k));  // LEFT, TOP, WIDTH, HEIGHT, AREA
        Buffer* b = make<Buffer>();
        b->bytes.resize(packed.size() * sizeof(int32_t));
        std::memcpy(b->bytes.data(), packed.data(), b->bytes.size());
        *out = b;
        return 0;
    });
}

// Adds Gaussian noise (mean 0, stddev) to every channel, in place, from a seeded generator (reproducible frames).
TCV_API int tcv_add_noise(cv::Mat* dst, double stddev, uint64_t seed) {
    return guard("add_noise", [&] {
        if (!usable(dst, "add_noise")) return -1;
        cv::Mat noise(dst->size(), CV_MAKETYPE(CV_16S, dst->channels()));
        cv::RNG rng(seed);
        rng.fill(noise, cv::RNG::NORMAL, 0, stddev);
        cv::Mat sum;
        dst->convertTo(sum, CV_MAKETYPE(CV_16S, dst->channels()));
        sum += noise;
        sum.convertTo(*dst, dst->type());
        return 0;
    });
}

// ---------------------------------------------------------------- drawing (in place; colours in the image's channel order)

// Filled when thickness < 0.
TCV_API int tcv_rectangle(cv::Mat* dst, int x, int y, int w, int h, const double* color4, int thickness) {
    return guard("rectangle", [&] {
        if (!usable(dst, "rectangle")) return -1;
        cv::rectangle(*dst, cv::Rect(x, y, w, h), cv::Scalar(color4[0], color4[1], color4[2], color4[3]), thickness, cv::LINE_8);
        return 0;
    });
}

TCV_API int tcv_line(cv::Mat* dst, int x0, int y0, int x1, int y1, const double* color4, int thickness) {
    return guard("line", [&] {
        if (!usable(dst, "line")) return -1;
        if (thickness <= 0) return fail("line: thickness must be positive");
        cv::line(*dst, cv::Point(x0, y0), cv::Point(x1, y1), cv::Scalar(color4[0], color4[1], color4[2], color4[3]), thickness, cv::LINE_AA);
        return 0;
    });
}

// ---------------------------------------------------------------- TrueType/OpenType text (freetype module: CJK plates)

// index selects the face inside a collection (.ttc).
TCV_API int tcv_font_load(const char* path, int index, Font** out) {
    return guard("font_load", [&] {
        if (path == nullptr || *path == 0) return fail("font_load: no font file");
        auto ft = cv::freetype::createFreeType2();
        ft->loadFontData(path, index);
        Font* f = make<Font>();
        f->ft = ft;
        *out = f;
        return 0;
    });
}

// Draws UTF-8 text with its top-left corner at (x, y), glyphs filled, on an 8-bit 3-channel image.
TCV_API int tcv_font_put_text(Font* f, cv::Mat* dst, const char* text, int x, int y, int height, const double* color4) {
    return guard("font_put_text", [&] {
        if (f == nullptr) return fail("font_put_text: null font");
        if (!usable(dst, "font_put_text")) return -1;
        if (dst->type() != CV_8UC3) return fail("font_put_text: needs an 8-bit 3-channel image");
        if (text == nullptr || height <= 0) return fail("font_put_text: need text and a positive height");
        // With bottomLeftOrigin false, OpenCV 4.6's freetype takes org as the text's top-left.
        f->ft->putText(*dst, text, cv::Point(x, y), height,
                       cv::Scalar(color4[0], color4[1], color4[2], color4[3]), -1, cv::LINE_AA, false);
        return 0;
    });
}

TCV_API int tcv_font_text_size(Font* f, const char* text, int height, int* width, int* text_height, int* baseline) {
    return guard("font_text_size", [&] {
        if (f == nullptr) return fail("font_text_size: null font");
        if (text == nullptr || height <= 0) return fail("font_text_size: need text and a positive height");
        cv::Size size = f->ft->getTextSize(text, height, -1, baseline);
        *width = size.width;
        *text_height = size.height;
        return 0;
    });
}

TCV_API void tcv_font_release(Font* f) { destroy(f); }

// ---------------------------------------------------------------- shapes (hazard signs: diamonds, triangles, panels)

namespace {

std::vector<cv::Point> points_of(const int32_t* xy, int n) {
    std::vector<cv::Point> pts(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) pts[static_cast<size_t>(i)] = cv::Point(xy[2 * i], xy[2 * i + 1]);
    return pts;
}

// Packs points as int32 [n, x0, y0, x1, y1, ...] into a new Buffer.
Buffer* pack_points(const std::vector<cv::Point>& pts) {
    std::vector<int32_t> packed;
    packed.reserve(1 + 2 * pts.size());
    packed.push_back(static_cast<int32_t>(pts.size()));
    for (const auto& p : pts) { packed.push_back(p.x); packed.push_back(p.y); }
    Buffer* b = make<Buffer>();
    b->bytes.resize(packed.size() * sizeof(int32_t));
    std::memcpy(b->bytes.data(), packed.data(), b->bytes.size());
    return b;
}

}  // namespace

// Douglas-Peucker simplification of a polygon or polyline (x,y interleaved): vertices within epsilon pixels dropped.
TCV_API int tcv_approx_poly_dp(const int32_t* xy, int n, double epsilon, int closed, Buffer** out) {
    return guard("approx_poly_dp", [&] {
        if (xy == nullptr || n <= 0) return fail("approx_poly_dp: no points");
        if (epsilon < 0) return fail("approx_poly_dp: epsilon must not be negative");
        std::vector<cv::Point> simplified;
        cv::approxPolyDP(points_of(xy, n), simplified, epsilon, closed != 0);
        *out = pack_points(simplified);
        return 0;
    });
}

// Convex hull of n points, clockwise in image coordinates (y down).
TCV_API int tcv_convex_hull(const int32_t* xy, int n, Buffer** out) {
    return guard("convex_hull", [&] {
        if (xy == nullptr || n <= 0) return fail("convex_hull: no points");
        std::vector<cv::Point> hull;
        cv::convexHull(points_of(xy, n), hull, /*clockwise*/ false);
        *out = pack_points(hull);
        return 0;
    });
}

// Fills one polygon in place (anti-aliased edges).
TCV_API int tcv_fill_poly(cv::Mat* dst, const int32_t* xy, int n, const double* color4) {
    return guard("fill_poly", [&] {
        if (!usable(dst, "fill_poly")) return -1;
        if (xy == nullptr || n < 3) return fail("fill_poly: a polygon needs at least 3 points");
        std::vector<std::vector<cv::Point>> polys{points_of(xy, n)};
        cv::fillPoly(*dst, polys, cv::Scalar(color4[0], color4[1], color4[2], color4[3]), cv::LINE_AA);
        return 0;
    });
}

// Gaussian blur with an odd square kernel (sigma 0: from the kernel size).
TCV_API int tcv_gaussian_blur(const cv::Mat* src, int ksize, double sigma, cv::Mat** out) {
    return guard("gaussian_blur", [&] {
        if (!usable(src, "gaussian_blur")) return -1;
        if (ksize <= 0 || ksize % 2 == 0) return fail("gaussian_blur: kernel size must be odd and positive");
        cv::Mat dst;
        cv::GaussianBlur(*src, dst, cv::Size(ksize, ksize), sigma);
        return hand_out(std::move(dst), out);
    });
}

// Canny edges of an 8-bit image (grey, or converted from BGR): 255 on edges.
TCV_API int tcv_canny(const cv::Mat* src, double low, double high, cv::Mat** out) {
    return guard("canny", [&] {
        if (!usable(src, "canny")) return -1;
        if (src->depth() != CV_8U) return fail("canny: needs an 8-bit image");
        cv::Mat grey;
        if (src->channels() == 3) cv::cvtColor(*src, grey, cv::COLOR_BGR2GRAY);
        else if (src->channels() == 1) grey = *src;
        else return fail("canny: needs 1 or 3 channels");
        cv::Mat edges;
        cv::Canny(grey, edges, low, high);
        return hand_out(std::move(edges), out);
    });
}
