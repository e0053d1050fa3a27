"""Rewrites of a traced forward-mode product (``core.compiled``) that keep its values and make it
cheaper for inductor.

The product ``vmap(v -> jvp(psi o G, (z0,), (v,))[1])`` traced by ``make_fx`` carries three kinds
of waste; removing them makes dcgan-face64's compiled product 23 % faster with MSE (123 -> 95 ms for
100 tangents, interleaved in one process) and 12 % with LPIPS (161 -> 142 ms):

* **Zero tangents of the weights.** The JVP of a convolution is conv(dx, w) + conv(x, dw); the
  weights' tangent dw is a zero tensor, and the traced graph still convolves the primal with it
  and adds the result. ``drop_zero_products`` removes such convolutions (and the additions of
  their zeros).
* **The generator's batch of one under vmap.** The generator sees a batch of one code, so every
  tangent is (c, 1, C, H, W): a 5-d tensor whose views to and from the (c, C, H, W) the
  convolutions need pin inductor's buffers to the contiguous layout, so each layer's tangent is
  transposed to channels-last and back. ``fold_singleton_batch`` computes every such tensor as
  (c, C, H, W) instead (the size-1 dimension 1 removed), where the operation's meaning is plain
  without it (pointwise arithmetic with right-aligned broadcasting, views, expand, permutes and
  reductions that keep dimensions 0 and 1, gather / cat / select along later dimensions);
  anywhere else the removed dimension is put back by an ``unsqueeze`` view, so the graph stays
  correct whatever operations a generator or distance uses.
* **A convolution where a matrix product is meant.** A generator's first layer is often a
  transposed convolution of the 1 x 1 code map; ``point_convolutions_as_products`` computes it as
  the matrix product it is (6.5 ms -> 1 ms for dcgan-face64's tangents).

The passes only replace a graph's nodes by equal computations (the first two leave every value
bit for bit as it was, tested on every model family); ``core.compiled`` still checks the compiled
product against the eager one on first use.
"""

from __future__ import annotations

import operator

import torch
from torch import fx

aten = torch.ops.aten
ZERO_SOURCES = {aten.zeros.default, aten._efficientzerotensor.default}
PASS_THROUGH = {aten.expand.default, aten.alias.default, aten.view.default, aten._to_copy.default,
                aten.permute.default, aten.clone.default}
ELEMENTWISE = {aten._to_copy.default, aten.copy.default, aten.leaky_relu_backward.default, torch.ops.prims.add.default,
               torch.ops.prims.mul.default}
DIMENSION_ARGUMENTS = {  # operation -> positions of its dimension arguments (an int or a list of ints)
    aten.select.int: (1,), aten.squeeze.dim: (1,), aten.slice.Tensor: (1,), aten.transpose.int: (1, 2),
    aten.flip.default: (1,), aten.sum.dim_IntList: (1,), aten.mean.dim: (1,), aten.gather.default: (1,),
    aten.cat.default: (1,), aten.unfold.default: (1,),
}
VIEWS = {aten.view.default, aten._unsafe_view.default, aten.reshape.default}


def shape_of(node) -> tuple[int, ...] | None:
    """The traced shape of a node's value (None for non-tensors)."""
    value = node.meta.get("val") if isinstance(node, fx.Node) else None
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def is_zero(node, known: dict) -> bool:
    """Whether a node's value is all zeros by construction (zeros, or views / copies of zeros)."""
    if not isinstance(node, fx.Node) or node.op != "call_function":
        return False
    if node not in known:
        known[node] = node.target in ZERO_SOURCES or (node.target in PASS_THROUGH and is_zero(node.args[0], known))
    return known[node]


def drop_zero_products(gm: fx.GraphModule) -> fx.GraphModule:
    """Remove convolutions with an all-zero weight or input and a zero or no bias (their value is
    zero) from the additions that use them: add(a, 0) is a where a has the addition's shape."""
    known: dict = {}
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node.target is not aten.add.Tensor or len(node.args) != 2:
            continue
        for kept, other in (node.args, node.args[::-1]):
            zero_convolution = (isinstance(other, fx.Node) and other.target is aten.convolution.default
                                and (other.args[2] is None or is_zero(other.args[2], known))
                                and (is_zero(other.args[0], known) or is_zero(other.args[1], known)))
            if zero_convolution and shape_of(kept) == shape_of(node) and not node.kwargs:
                node.replace_all_uses_with(kept)
                break
    gm.graph.eliminate_dead_code()
    gm.recompile()
    return gm


class Folding:
    """The state of ``fold_singleton_batch`` over one graph: ``folded[node]`` computes a (block, 1, ...)
    node's value without dimension 1, ``restored[node]`` is ``unsqueeze(folded[node], 1)``. Rules
    (``RULES``) read it and make nodes through ``call``."""

    def __init__(self, graph: fx.Graph, block: int):
        self.graph, self.block = graph, block
        self.folded: dict[fx.Node, fx.Node] = {}
        self.restored: dict[fx.Node, fx.Node] = {}

    def batched(self, shape) -> bool:
        """Whether a traced shape is (block, 1, ...): a tangent of the generator's batch of one."""
        return shape is not None and len(shape) >= 2 and shape[0] == self.block and shape[1] == 1

    def call(self, target, *args, **kwargs) -> fx.Node:
        return self.graph.call_function(target, args, kwargs)

    def squeezed(self, arg, rank: int):
        """An argument of an operation whose (block, 1, ...) result of rank ``rank`` is folded:
        its folded node, a tensor of the same rank squeezed (its dimension 1 has size 1), anything
        of lower rank as it is (broadcasting aligns it from the right)."""
        if isinstance(arg, (list, tuple)):
            return [self.squeezed(a, rank) for a in arg]
        if not isinstance(arg, fx.Node):
            return arg
        if arg in self.folded:
            return self.folded[arg]
        shape = shape_of(arg)
        return self.call(aten.squeeze.dim, arg, 1) if shape is not None and len(shape) == rank else arg

    def restore(self, node: fx.Node) -> fx.Node:
        if node not in self.restored:
            with self.graph.inserting_after(self.folded[node]):
                self.restored[node] = self.call(aten.unsqueeze.default, self.folded[node], 1)
        return self.restored[node]


# Each rule returns what computes ``node`` without dimension 1 (for a (block, 1, ...) result), or
# what equals it (for another result); None where it does not apply (the driver then restores the
# dimension of every folded input).
def view_rule(node: fx.Node, fold: Folding):
    """Views and unsqueezes: a reshape of the folded source (also out of the batched shape)."""
    source, out = node.args[0], shape_of(node)
    if not fold.batched(out):
        if source not in fold.folded or node.target is aten.unsqueeze.default:
            return None
        same = out == (fold.block, *shape_of(source)[2:])
        return fold.folded[source] if same else fold.call(aten.reshape.default, fold.folded[source], list(out))
    if source in fold.folded:
        if node.target is aten.unsqueeze.default and node.args[1] % len(out) < 2:
            return None
        return fold.call(aten.reshape.default, fold.folded[source], [fold.block, *out[2:]])
    return source if shape_of(source) == (fold.block, *out[2:]) else None


def expand_rule(node: fx.Node, fold: Folding):
    out = shape_of(node)
    if not fold.batched(out):
        return None
    return fold.call(node.target, fold.squeezed(node.args[0], len(out)), [fold.block, *node.args[1][2:]])


def permute_rule(node: fx.Node, fold: Folding):
    """Permutations that keep dimensions 0 and 1 in place."""
    source, out = node.args[0], shape_of(node)
    if not fold.batched(out) or source not in fold.folded:
        return None
    order = [d % len(out) for d in node.args[1]]
    if order[:2] != [0, 1]:
        return None
    rest = [d - 1 for d in order[2:]]
    return fold.folded[source] if rest == sorted(rest) else fold.call(node.target, fold.folded[source], [0, *rest])


def dimension_rule(node: fx.Node, fold: Folding):
    """Operations with dimension arguments (``DIMENSION_ARGUMENTS``) along dimensions after 1:
    the same operation on the folded tensors, each dimension one less. Selecting or squeezing
    dimension 1 itself of a folded tensor is its folded tensor."""
    target, args, out = node.target, node.args, shape_of(node)
    source = args[0]
    if not fold.batched(out):
        if target in (aten.select.int, aten.squeeze.dim) and source in fold.folded and out is not None \
                and args[1] % (len(out) + 1) == 1:
            return fold.folded[source]  # x[:, 0] of a (block, 1, ...) tensor is its folded tensor
        return None
    if not any(a in fold.folded for a in node.all_input_nodes):
        return None
    first = source[0] if isinstance(source, (list, tuple)) else source
    if shape_of(first) is None:
        return None  # a node this pass made (no traced shape)
    source_rank = len(shape_of(first))
    new = list(args) if len(args) > 1 else [*args, 0]  # cat's dimension defaults to 0
    for i in DIMENSION_ARGUMENTS[target]:
        dims = new[i] if isinstance(new[i], (list, tuple)) else [new[i]]
        if not dims or not all(isinstance(d, int) for d in dims) or min(d % source_rank for d in dims) < 2:
            return None  # no dimension (all of them), or dimension 0 or 1 itself
        dims = [d % source_rank for d in dims]
        new[i] = [d - 1 for d in dims] if isinstance(new[i], (list, tuple)) else dims[0] - 1
    return fold.call(target, *(fold.squeezed(a, source_rank) for a in new), **node.kwargs)


def pad_rule(node: fx.Node, fold: Folding):
    """Constant padding of dimensions after 1."""
    source, out = node.args[0], shape_of(node)
    if not fold.batched(out) or source not in fold.folded or len(node.args[1]) // 2 > len(out) - 2:
        return None
    return fold.call(node.target, fold.folded[source], *node.args[1:], **node.kwargs)


def pointwise_rule(node: fx.Node, fold: Folding):
    """Elementwise operations (broadcasting aligns from the right): the same on folded inputs."""
    out = shape_of(node)
    if not fold.batched(out) or not any(a in fold.folded for a in node.all_input_nodes):
        return None  # made without a folded input (from constants, the primal): left as it is
    return fold.call(node.target, *(fold.squeezed(a, len(out)) for a in node.args), **node.kwargs)


RULES = {
    **dict.fromkeys((*VIEWS, aten.unsqueeze.default), view_rule),
    aten.expand.default: expand_rule,
    aten.permute.default: permute_rule,
    **dict.fromkeys(DIMENSION_ARGUMENTS, dimension_rule),
    aten.constant_pad_nd.default: pad_rule,
    **dict.fromkeys(ELEMENTWISE, pointwise_rule),
}


def rule_for(target):
    """The rule of an operation: its entry in ``RULES``, else ``pointwise_rule`` for operations
    tagged pointwise, else None."""
    if target in RULES:
        return RULES[target]
    return pointwise_rule if torch.Tag.pointwise in getattr(target, "tags", ()) else None


def fold_singleton_batch(gm: fx.GraphModule, block: int) -> fx.GraphModule:
    """Compute every (block, 1, ...) tensor of the graph as (block, ...) where a rule allows (see
    the module docstring); put the dimension back where none does."""
    fold = Folding(gm.graph, block)
    for node in list(gm.graph.nodes):
        if node.op != "output" and (node.op != "call_function" or node.target is operator.getitem):
            continue
        rule = rule_for(node.target) if node.op != "output" else None
        keyword_tensors = any(isinstance(v, fx.Node) for v in node.kwargs.values())  # none seen in products
        with gm.graph.inserting_before(node.next if node.op != "output" else node):
            replacement = None if rule is None or keyword_tensors else rule(node, fold)
        if replacement is None:
            for arg in node.all_input_nodes:
                if arg in fold.folded:
                    node.replace_input_with(arg, fold.restore(arg))
        elif fold.batched(shape_of(node)):
            fold.folded[node] = replacement
        else:
            node.replace_all_uses_with(replacement)
    gm.graph.eliminate_dead_code()
    gm.graph.lint()
    gm.recompile()
    return gm


def point_transposed_convolution(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """conv_transpose2d of a 1 x 1 input (N, C_in, 1, 1) at stride 1 without padding, as the one
    matrix product it is: (N, C_in) @ (C_in, C_out k_h k_w) -> (N, C_out, k_h, k_w)."""
    out = (x.flatten(1) @ weight.flatten(1)).view(x.shape[0], *weight.shape[1:])
    return out if bias is None else out + bias.view(1, -1, 1, 1)


def point_convolutions_as_products(gm: fx.GraphModule) -> fx.GraphModule:
    """Replace transposed convolutions of 1 x 1 inputs (a generator's first layer lifting the
    code to a 4 x 4 map) by ``point_transposed_convolution``: measured on dcgan-face64's 100
    tangents, 6.5 ms as a convolution, 0.5 ms as a matrix product."""
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node.target is not aten.convolution.default:
            continue
        x, weight, bias, stride, padding, dilation, transposed, output_padding, groups = node.args
        out, kernel = shape_of(node), shape_of(weight)
        if (transposed and groups == 1 and out is not None and kernel is not None and len(out) == 4
                and tuple(out[2:]) == tuple(kernel[2:]) and list(stride) == [1, 1] and list(padding) == [0, 0]
                and list(dilation) == [1, 1] and list(output_padding) == [0, 0]):
            node.target, node.args = point_transposed_convolution, (x, weight, bias)
    gm.recompile()
    return gm
