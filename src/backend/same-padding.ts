/**
 * tfjs-backend-wasm 4.22 hands "same" padding to XNNPACK as its TensorFlow
 * SAME flag, and XNNPACK returns zeros when that padding is 0 on an axis where
 * the stride exceeds the kernel (e.g. kernel 2, stride 3 on 9 rows: out = 3,
 * pad = max((3-1)*3 + 2 - 9, 0) = 0). The cpu backend is right. Give the
 * wasm convolutions the same padding as explicit numbers (computed by
 * tfjs-core's own conv_util), which XNNPACK handles correctly.
 */
import * as tf from "@tensorflow/tfjs";
import { wrapWasmKernel } from "./wrap-kernel";

const KERNELS = [
  { name: "Conv2D", depthwise: false },
  { name: "FusedConv2D", depthwise: false },
  { name: "DepthwiseConv2dNative", depthwise: true },
  { name: "FusedDepthwiseConv2D", depthwise: true },
] as const;

export function registerExplicitSamePadding(): void {
  for (const { name, depthwise } of KERNELS) {
    wrapWasmKernel(name, (original) => (args) => {
      type Pair = number | [number, number];
      const attrs = args.attrs as { pad?: unknown; strides: Pair; dilations?: Pair } & tf.NamedAttrMap;
      if (attrs.pad !== "same") return original.kernelFunc(args);
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides,
        attrs.dilations ?? 1,
        "same",
        undefined,
        depthwise,
      );
      const { top, bottom, left, right } = info.padInfo;
      const pad: tf.backend_util.ExplicitPadding = [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ];
      return original.kernelFunc({ ...args, attrs: { ...attrs, pad } as unknown as tf.NamedAttrMap });
    });
  }
}
