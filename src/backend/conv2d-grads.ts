/**
 * The gradients of a 2-D convolution on the wasm backend, as XNNPACK
 * convolutions (the backend's fast path), for tfjs-backend-wasm 4.22, which
 * has no Conv2DBackpropFilter and a scalar C++ loop for Conv2DBackpropInput.
 *
 * Forward (NHWC, stride s, padding p, no dilation):
 *   y[n,i,j,o] = sum_{a,b,c} xp[n, s*i + a, s*j + b, c] * w[a,b,c,o]
 * where xp is x zero-padded by p.
 *
 * Filter gradient: swap the roles of batch and channels. With
 *   X'[c, h, w, n] = xp[n, h, w, c]   and   D[i, j, n, o] = dy[n, i, j, o],
 *   dw[a,b,c,o] = sum_{n,i,j} xp[n, s*i+a, s*j+b, c] dy[n,i,j,o]
 *               = conv2d(X', D, stride 1, dilation s, valid)[c, a, b, o]
 * one convolution whose "filter" is dy, dilated by the forward stride.
 *
 * Input gradient (the transposed convolution): insert s-1 zeros between the
 * rows and columns of dy, pad by (k-1-p_top, ...), and convolve with the
 * filter rotated by 180 degrees and its in/out channels swapped:
 *   dx = conv2d(pad(dilate_s(dy)), rot180(w)^T, stride 1, valid).
 * Geometry the rewrite cannot express (a pad that would cut real rows of dy) goes to the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { composite, type KernelArgs, type KernelCalls } from "./kernel-calls";
import { wrapWasmKernel } from "./wrap-kernel";

const BACKEND = "wasm";

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function convInfo(inShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC"),
  );
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

function toNhwc(k: KernelCalls, t: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  return info.dataFormat === "channelsFirst" ? k.run("Transpose", { x: t }, { perm: NCHW_TO_NHWC }) : t;
}

function pad4(k: KernelCalls, x: tf.TensorInfo, top: number, bottom: number, left: number, right: number): tf.TensorInfo {
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return x;
  return k.run(
    "PadV2",
    { x },
    {
      paddings: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
}

function conv(k: KernelCalls, x: tf.TensorInfo, filter: tf.TensorInfo, dilations: [number, number]): tf.TensorInfo {
  return k.run("Conv2D", { x, filter }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations, dimRoundingMode: undefined });
}

/** dw for Conv2DBackpropFilter inputs {x, dy}, attrs {filterShape, strides, pad, dataFormat, dimRoundingMode}. */
export function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { inHeight, inWidth, inChannels, outChannels } = info;
  const { top, bottom, left, right } = info.padInfo;
  return composite(args.backend, BACKEND, (k) => {
    // Rows past the padded input (possible with dimRoundingMode "ceil") are zeros, as on the cpu backend.
    const needH = (oh - 1) * sh + fh;
    const needW = (ow - 1) * sw + fw;
    const xp = pad4(k, toNhwc(k, x, info), top, Math.max(bottom, needH - inHeight - top), left, Math.max(right, needW - inWidth - left));
    const xt = k.run("Transpose", { x: xp }, { perm: [3, 1, 2, 0] });
    const d = k.run("Transpose", { x: toNhwc(k, dy, info) }, { perm: [1, 2, 0, 3] });
    let c = conv(k, xt, d, [sh, sw]);
    // With "valid" padding and a stride, trailing rows of x that no window reaches make the result larger.
    if (c.shape[1] !== fh || c.shape[2] !== fw) {
      c = k.run("Slice", { x: c }, { begin: [0, 0, 0, 0], size: [inChannels, fh, fw, outChannels] });
    }
    return k.run("Transpose", { x: c }, { perm: [1, 2, 0, 3] });
  });
}

/** Register Conv2DBackpropFilter (missing in wasm 4.22) and wrap Conv2DBackpropInput. */
export function registerConv2dGrads(): void {
  if (!tf.getKernel("Conv2DBackpropFilter", BACKEND)) {
    tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: BACKEND, kernelFunc: conv2dBackpropFilter as tf.KernelFunc });
  }
  wrapWasmKernel("Conv2DBackpropInput", (original) => (args) => conv2dBackpropInput(args, original.kernelFunc));
}

/** dx for Conv2DBackpropInput inputs {dy, filter}, attrs {inputShape, strides, pad, dataFormat, dimRoundingMode}. */
function conv2dBackpropInput(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { inHeight, inWidth } = info;
  const { top, left } = info.padInfo;
  // dilate_s(dy) as [n, oh*s, ow*s, o]: each row followed by s-1 zero rows; trailing zero rows past the
  // padded input are cut (a negative bottom/right pad), real rows never are (that geometry falls back).
  const padTop = fh - 1 - top;
  const padLeft = fw - 1 - left;
  const padBottom = inHeight + top - oh * sh;
  const padRight = inWidth + left - ow * sw;
  if (padTop < 0 || padLeft < 0 || padBottom < 1 - sh || padRight < 1 - sw) return fallback(args) as tf.TensorInfo;
  return composite(args.backend, BACKEND, (k) => {
    let d = toNhwc(k, dy, info);
    const [n, , , o] = d.shape;
    if (sh > 1 || sw > 1) {
      const six = k.run("Reshape", { x: d }, { shape: [n, oh, 1, ow, 1, o] });
      const spread = k.run(
        "PadV2",
        { x: six },
        {
          paddings: [
            [0, 0],
            [0, 0],
            [0, sh - 1],
            [0, 0],
            [0, sw - 1],
            [0, 0],
          ],
          constantValue: 0,
        },
      );
      d = k.run("Reshape", { x: spread }, { shape: [n, oh * sh, ow * sw, o] });
      if (padBottom < 0 || padRight < 0) {
        const end = [n, oh * sh + Math.min(padBottom, 0), ow * sw + Math.min(padRight, 0), o];
        const masks = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 };
        d = k.run("StridedSlice", { x: d }, { begin: [0, 0, 0, 0], end, strides: [1, 1, 1, 1], ...masks });
      }
    }
    const dp = pad4(k, d, padTop, Math.max(padBottom, 0), padLeft, Math.max(padRight, 0));
    const flipped = k.run("Reverse", { x: filter }, { dims: [0, 1] });
    const wT = k.run("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] });
    const dx = conv(k, dp, wT, [1, 1]);
    return info.dataFormat === "channelsFirst" ? k.run("Transpose", { x: dx }, { perm: NHWC_TO_NCHW }) : dx;
  });
}
