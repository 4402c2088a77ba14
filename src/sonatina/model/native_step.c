/* The LSTM of lstm.MusicLSTM, one token at a time, for native_stepper.py.
 *
 * A step in NumPy streams 3.3 MB of float32 weights per token (the shipped size), more than a
 * core's 2 MB L2 cache here, so every step reads them from L3 (~130 of its ~185 us). Here the
 * recurrent and output weights are half precision (1.6 MB, which stays in L2) and a whole step is
 * one call: ~40 us. Sums are float32, in the order of k for every column, so the SIMD width does
 * not change a result.
 *
 * Weights are laid out in blocks of BLOCK columns, [columns / BLOCK][rows][BLOCK], so a block's
 * column sums stay in registers while its rows stream through (native_stepper.blocked writes it).
 * Built with -O3 -march=native -ffast-math (native_stepper.build); needs AVX2 and F16C at least.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define BLOCK 64

#if defined(__AVX512F__)
typedef __m512 vec;
#define WIDTH 16
#define HALVES(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define LOAD _mm512_loadu_ps
#define STORE _mm512_storeu_ps
#define FMA _mm512_fmadd_ps
#define SPLAT _mm512_set1_ps
#elif defined(__AVX2__) && defined(__F16C__) && defined(__FMA__)
typedef __m256 vec;
#define WIDTH 8
#define HALVES(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define LOAD _mm256_loadu_ps
#define STORE _mm256_storeu_ps
#define FMA _mm256_fmadd_ps
#define SPLAT _mm256_set1_ps
#else
#error "the native LSTM step needs AVX2, FMA and F16C (NumPy's step is used instead)"
#endif

struct net {
    int layers, hidden, vocab, head_columns;  /* head_columns: vocab rounded up to BLOCK */
    const float *token_in, *genre_in, *mode_in; /* layer 0's input projection per id [4H]; genre_in holds its bias */
    const uint16_t *const *recurrent;           /* per layer, blocked: layer 0 [H rows], deeper [2H rows: input, h] */
    const float *const *bias;                   /* per layer [4H] (layer 0's is in genre_in) */
    const uint16_t *head;                       /* blocked, [H rows][head_columns] */
    const float *head_bias;                     /* [vocab] */
};

#define ROWS 4  /* rows stepped together: a weight block is read once for all of them */

/* out_r[N] = start_r[N] + x_r[K] @ W for R <= ROWS rows (x_r = x + r * x_stride, and so on; a
 * start may be its out). W blocked, N a multiple of BLOCK. Each column's sum takes its k in order,
 * so a row's result does not depend on the rows beside it. */
static inline __attribute__((always_inline)) void product_rows(
        const int R, const float *x, long x_stride, const uint16_t *restrict w, int K, int N,
        const float *start, long start_stride, float *out, long out_stride) {
    for (int b = 0; b < N; b += BLOCK, w += (long)K * BLOCK) {
        vec sum[ROWS][BLOCK / WIDTH];
        for (int r = 0; r < R; r++)
            for (int v = 0; v < BLOCK / WIDTH; v++) sum[r][v] = LOAD(start + r * start_stride + b + v * WIDTH);
        const uint16_t *row = w;
        for (int k = 0; k < K; k++, row += BLOCK) {
            vec weights[BLOCK / WIDTH];
            for (int v = 0; v < BLOCK / WIDTH; v++) weights[v] = HALVES(row + v * WIDTH);
            for (int r = 0; r < R; r++) {
                vec xk = SPLAT(x[r * x_stride + k]);
                for (int v = 0; v < BLOCK / WIDTH; v++) sum[r][v] = FMA(xk, weights[v], sum[r][v]);
            }
        }
        for (int r = 0; r < R; r++)
            for (int v = 0; v < BLOCK / WIDTH; v++) STORE(out + r * out_stride + b + v * WIDTH, sum[r][v]);
    }
}

/* product_rows with R known to the compiler, so the sums stay in registers */
static void product(int R, const float *x, long x_stride, const uint16_t *w, int K, int N,
                    const float *start, long start_stride, float *out, long out_stride) {
    switch (R) {
    case 1: product_rows(1, x, x_stride, w, K, N, start, start_stride, out, out_stride); break;
    case 2: product_rows(2, x, x_stride, w, K, N, start, start_stride, out, out_stride); break;
    case 3: product_rows(3, x, x_stride, w, K, N, start, start_stride, out, out_stride); break;
    default: product_rows(ROWS, x, x_stride, w, K, N, start, start_stride, out, out_stride);
    }
}

/* the clamp keeps exp finite: -ffast-math assumes it is */
static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-fminf(fmaxf(x, -40.0f), 40.0f))); }

/* gates [4H] in torch's order (input, forget, cell, output) -> h, c [H], in place. The cell gate's
 * weights were doubled when packed, so one sigmoid serves all four: tanh(x) = 2 sigmoid(2x) - 1. */
static void cell(float *restrict gates, int H, float *restrict h, float *restrict c) {
    for (int j = 0; j < 4 * H; j++) gates[j] = sigmoid(gates[j]);
    for (int j = 0; j < H; j++) {
        c[j] = gates[H + j] * c[j] + gates[j] * (2.0f * gates[2 * H + j] - 1.0f);
        h[j] = gates[3 * H + j] * (2.0f * sigmoid(2.0f * c[j]) - 1.0f);
    }
}

/* One token for each of R <= ROWS rows. state: row r's [layers][2][H] (h, then c) at
 * state + r * size, updated in place; x: scratch [ROWS][2H]; gates: scratch [ROWS][width];
 * logits: row r's [vocab] at logits + r * vocab, written when not NULL. */
static void step(const struct net *n, int R, const int64_t *tokens, long token_stride, const int64_t *genres,
                 const int64_t *modes, float *state, long size, float *x, float *gates, long width, float *logits) {
    const int H = n->hidden, G = 4 * H;
    for (int r = 0; r < R; r++) {
        const float *token = n->token_in + tokens[r * token_stride] * G;
        const float *genre = n->genre_in + genres[r] * G, *mode = n->mode_in + modes[r] * G;
        for (int j = 0; j < G; j++) gates[r * width + j] = token[j] + genre[j] + mode[j];
    }
    product(R, state, size, n->recurrent[0], H, G, gates, width, gates, width);
    for (int r = 0; r < R; r++) cell(gates + r * width, H, state + r * size, state + r * size + H);
    for (int l = 1; l < n->layers; l++) {
        for (int r = 0; r < R; r++) {  /* the layer below's new h, then this layer's h */
            const float *s = state + r * size + (long)l * 2 * H;
            memcpy(x + r * 2 * H, s - 2 * H, H * sizeof(float));
            memcpy(x + r * 2 * H + H, s, H * sizeof(float));
        }
        product(R, x, 2 * H, n->recurrent[l], 2 * H, G, n->bias[l], 0, gates, width);
        for (int r = 0; r < R; r++) {
            float *s = state + r * size + (long)l * 2 * H;
            cell(gates + r * width, H, s, s + H);
        }
    }
    if (logits) {
        for (int r = 0; r < R; r++) memset(gates + r * width, 0, n->head_columns * sizeof(float));
        product(R, state + (long)(n->layers - 1) * 2 * H, size, n->head, H, n->head_columns, gates, width, gates, width);
        for (int r = 0; r < R; r++)
            for (int j = 0; j < n->vocab; j++) logits[r * n->vocab + j] = gates[r * width + j] + n->head_bias[j];
    }
}

/* Each of `rows` rows reads its `steps` tokens ([rows][steps]) from state_in ([rows][layers][2][H]),
 * leaving state_out (which may be state_in) and the logits after its last token ([rows][vocab]).
 * Rows go ROWS at a time, token by token. */
void lstm_run(const struct net *n, int rows, int steps, const int64_t *tokens, const int64_t *genres,
              const int64_t *modes, const float *state_in, float *state_out, float *logits) {
    const long size = (long)n->layers * 2 * n->hidden;
    const long width = n->head_columns > 4 * n->hidden ? n->head_columns : 4 * n->hidden;
    /* scratch on the stack: callers in several threads may share a network */
    float x[ROWS * 2 * n->hidden], gates[ROWS * width];
    if (state_out != state_in) memcpy(state_out, state_in, rows * size * sizeof(float));
    for (int r = 0; r < rows; r += ROWS) {
        int R = rows - r < ROWS ? rows - r : ROWS;
        for (int t = 0; t < steps; t++)
            step(n, R, tokens + (long)r * steps + t, steps, genres + r, modes + r, state_out + r * size, size,
                 x, gates, width, t == steps - 1 ? logits + (long)r * n->vocab : NULL);
    }
}

/* lstm_run for one row and one token, with the ids passed by value (a cheaper call from Python) */
void lstm_step_one(const struct net *n, int64_t token, int64_t genre, int64_t mode, const float *state_in,
                   float *state_out, float *logits) {
    lstm_run(n, 1, 1, &token, &genre, &mode, state_in, state_out, logits);
}
