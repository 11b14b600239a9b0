/* The reference forward pass: the maths of Hugging Face's BertModel /
 * DistilBertModel written as plain loops, one sequence at a time, with
 * double accumulators.  Slow on purpose; the fast path is tested against it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "nn/bert_impl.h"
#include "nn/kernels.h"

static double act_ref(double x, int act)
{
    switch (act) {
    case NN_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case NN_ACT_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) *
                                     (x + 0.044715 * x * x * x)));
    case NN_ACT_RELU: return x > 0.0 ? x : 0.0;
    default: return x;
    }
}

/* y[t][o] = act(sum_i x[t][i] w[o][i] + b[o]) */
static void linear(const float *x, size_t T, const nn_linear *l, float *y, int act)
{
    for (size_t t = 0; t < T; t++)
        for (size_t o = 0; o < l->out; o++) {
            double s = l->b[o];
            for (size_t i = 0; i < l->in; i++)
                s += (double)x[t * l->in + i] * (double)l->w[o * l->in + i];
            y[t * l->out + o] = (float)act_ref(s, act);
        }
}

/* x[t] = LN(x[t] + r[t]) */
static void norm(float *x, const float *r, size_t T, size_t H, const nn_norm *n, double eps)
{
    for (size_t t = 0; t < T; t++) {
        float *v = x + t * H;
        if (r)
            for (size_t j = 0; j < H; j++)
                v[j] = (float)((double)v[j] + (double)r[t * H + j]);
        double mean = 0, var = 0;
        for (size_t j = 0; j < H; j++)
            mean += v[j];
        mean /= (double)H;
        for (size_t j = 0; j < H; j++)
            var += (v[j] - mean) * (v[j] - mean);
        var /= (double)H;
        for (size_t j = 0; j < H; j++)
            v[j] = (float)((v[j] - mean) / sqrt(var + eps) * n->g[j] + n->b[j]);
    }
}

int nn_bert_forward_ref(const nn_bert *m, const int32_t *ids, const int32_t *type_ids,
                        const size_t *seq_lens, size_t nseq, float *logits, float *hidden)
{
    const nn_bert_config *c = &m->cfg;
    size_t H = c->hidden, FFN = c->intermediate, nh = c->heads, dh = H / nh;
    size_t Lmax = 0, Ttot = 0;
    for (size_t s = 0; s < nseq; s++) {
        if (seq_lens[s] > Lmax)
            Lmax = seq_lens[s];
        Ttot += seq_lens[s];
    }
    float *x = malloc((Lmax * (5 * H + FFN) + Lmax + 1) * sizeof(float));
    double *p = malloc((Lmax + 1) * sizeof(double));
    if (!x || !p) {
        free(x);
        free(p);
        return NER_ENOMEM;
    }
    float *q = x + Lmax * H, *k = q + Lmax * H, *v = k + Lmax * H, *a = v + Lmax * H;
    float *f = a + Lmax * H;
    double eps = c->layer_norm_eps;
    size_t row = 0;
    for (size_t s = 0; s < nseq; s++) {
        size_t T = seq_lens[s];
        if (!T)
            continue;
        for (size_t t = 0; t < T; t++) {
            size_t id = (size_t)ids[row + t];
            size_t ty = type_ids ? (size_t)type_ids[row + t] : 0;
            size_t pos = t + m->pos_offset;
            for (size_t j = 0; j < H; j++) {
                double e = (double)m->word[id * H + j] + (double)m->pos[pos * H + j];
                if (m->type)
                    e += m->type[ty * H + j];
                x[t * H + j] = (float)e;
            }
        }
        norm(x, NULL, T, H, &m->ln_emb, eps);
        if (hidden)
            memcpy(hidden + row * H, x, T * H * sizeof(float));
        for (size_t l = 0; l < c->layers; l++) {
            const nn_layer *y = &m->layer[l];
            linear(x, T, &y->q, q, NN_ACT_NONE);
            linear(x, T, &y->k, k, NN_ACT_NONE);
            linear(x, T, &y->v, v, NN_ACT_NONE);
            for (size_t h = 0; h < nh; h++)
                for (size_t i = 0; i < T; i++) {
                    double mx = -INFINITY, sum = 0;
                    for (size_t j = 0; j < T; j++) {
                        double d = 0;
                        for (size_t e = 0; e < dh; e++)
                            d += (double)q[i * H + h * dh + e] * (double)k[j * H + h * dh + e];
                        p[j] = d / sqrt((double)dh);
                        if (p[j] > mx)
                            mx = p[j];
                    }
                    for (size_t j = 0; j < T; j++) {
                        p[j] = exp(p[j] - mx);
                        sum += p[j];
                    }
                    for (size_t e = 0; e < dh; e++) {
                        double o = 0;
                        for (size_t j = 0; j < T; j++)
                            o += p[j] / sum * (double)v[j * H + h * dh + e];
                        a[i * H + h * dh + e] = (float)o;
                    }
                }
            linear(a, T, &y->o, q, NN_ACT_NONE);      /* q := attention output */
            norm(q, x, T, H, &y->ln_att, eps);         /* q := LN(q + x) */
            linear(q, T, &y->ff1, f, c->act);
            linear(f, T, &y->ff2, x, NN_ACT_NONE);     /* x := FFN output */
            norm(x, q, T, H, &y->ln_out, eps);         /* x := LN(x + q) */
            if (hidden)
                memcpy(hidden + (l + 1) * Ttot * H + row * H, x, T * H * sizeof(float));
        }
        if (logits)
            linear(x, T, &m->cls, logits + row * c->num_labels, NN_ACT_NONE);
        row += T;
    }
    free(x);
    free(p);
    return NER_OK;
}
