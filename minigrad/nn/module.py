"""Module and Parameter: the containers that hold a network's state.

A Module keeps three ordered registries, filled by plain attribute assignment:
parameters (Parameter tensors, trained), buffers (tensors that are state but
not trained, e.g. BatchNorm's running_mean) and child modules. Names, nesting
and state_dict keys follow PyTorch, so `load_state_dict` of a PyTorch model's
state dict (as NumPy arrays) gives the same network.
"""
from __future__ import annotations

import copy
from collections import OrderedDict, namedtuple

import numpy as np

from minigrad.checks import flag
from minigrad.node import STATE
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A tensor that a Module trains: requires_grad=True by default."""

    def __init__(self, data, requires_grad=True, name=None):
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and network: subclass it and write forward()."""

    def __init__(self):
        for name in (*self.__dict__.get("_parameters", ()), *self.__dict__.get("_buffers", ())):
            self.__dict__.pop(name, None)      # built before (__init__ run again): forget them all
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_name", "")
        object.__setattr__(self, "training", True)

    # -- registration by assignment ---------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before "
                               f"assigning attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if name in self.__dict__.get("_parametrizations", ()):
            raise AttributeError(f"{type(self).__name__}: '{name}' is computed on every read "
                                 f"by {self._parametrizations[name]!r}; change what it is "
                                 f"computed from, or remove the parametrization first")
        if isinstance(value, Parameter):
            self._forget(name)
            self._keep(params, name, value)
            if value.name is None:
                value.name = name
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
            object.__setattr__(value, "_name", name)
        elif name in params:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to "
                                f"parameter '{name}' (expected a Parameter or None)")
            self._keep(params, name, None)
        elif name in buffers:
            self._keep(buffers, name, _as_buffer(value, name, type(self).__name__))
        elif name in modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to "
                                f"child module '{name}' (expected a Module or None)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _keep(self, registry, name, value):
        """registry[name] = value for a parameter or buffer, and the same value in the
        instance's __dict__: self.weight in a forward is then a plain attribute read.
        (Through __getattr__, which Python calls only after a failed lookup, each read
        costs about 0.4 us: 16 of them per step of benchmarks/training_step.py's MLP.)
        Every change of a parameter or buffer goes through here, _forget or __delattr__
        (and __init__ and __copy__, which make a module's registries)."""
        registry[name] = value
        self.__dict__[name] = value

    def _check_free(self, name, where):
        # Registering over a plain attribute ("training", "forward", "in_features")
        # would hide it or be hidden by it; PyTorch refuses too.
        kept = name in self._parameters or name in self._buffers      # (in __dict__ as well)
        if name in self.__dict__ and not kept or hasattr(type(self), name):
            raise ValueError(f"{where}: {type(self).__name__} already has an attribute "
                             f"'{name}' that is not a parameter or buffer")

    def _forget(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        # Only called when normal lookup fails: child modules and computed attributes
        # (parametrizations). Parameters and buffers are found in __dict__ (_keep); a
        # registry changed by hand (module._parameters["w"] = ...) is not seen there.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        computed = d.get("_parametrizations")
        if computed and name in computed:
            return computed[name](self)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self.__dict__.pop(name, None)
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, value):
        """State that is saved in state_dict but not trained (None is allowed)."""
        if not isinstance(name, str) or "." in name or not name:
            raise ValueError(f"register_buffer: invalid buffer name {name!r}")
        self._check_free(name, "register_buffer")
        self._forget(name)
        self._keep(self._buffers, name, _as_buffer(value, name, type(self).__name__))

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter or None for '{name}', "
                            f"got {type(param).__name__}")
        self._check_free(name, "register_parameter")
        self._forget(name)
        self._keep(self._parameters, name, param)
        if param is not None and param.name is None:
            param.name = name

    def register_parametrization(self, name, parametrization):
        """Make `self.<name>` a computed value: every read calls parametrization(self)
        (weight_norm's w = g v / ||v|| is one). Keep it an object of an importable
        class, not a closure: it is stored on the module, so that the module
        pickles and deep-copies with it."""
        if not callable(parametrization):
            raise TypeError(f"register_parametrization: expected a callable of the module, "
                            f"got {type(parametrization).__name__}")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"register_parametrization: invalid name {name!r}")
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                raise ValueError(f"register_parametrization: {type(self).__name__} has a "
                                 f"parameter, buffer or module '{name}'; remove it first")
        self._check_free(name, "register_parametrization")
        if "_parametrizations" not in self.__dict__:
            object.__setattr__(self, "_parametrizations", OrderedDict())
        self._parametrizations[name] = parametrization

    def remove_parametrization(self, name):
        """Undo register_parametrization(name); returns the parametrization."""
        computed = self.__dict__.get("_parametrizations", {})
        if name not in computed:
            raise ValueError(f"remove_parametrization: {type(self).__name__} has no "
                             f"parametrization '{name}'")
        return computed.pop(name)

    # -- running it -----------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        # Record which module is running, so graph drawings can group its ops.
        outer = STATE.scope
        STATE.scope = outer + ((self, self._name),)
        try:
            return self.forward(*args, **kwargs)
        finally:
            STATE.scope = outer

    # -- walking the tree -------------------------------------------------------
    def named_modules(self, prefix="", remove_duplicate=True):
        """(name, module) for this module and everything inside it, depth first in
        the order children were assigned (PyTorch's order). A module reached
        twice is listed once, unless remove_duplicate=False (state_dict lists a
        shared module under each of its names, as PyTorch does). An explicit
        stack instead of recursion: any depth of nesting works."""
        seen = set()
        stack = [(prefix, self, ())]        # (name, module, ids of the modules above it)
        while stack:
            name, module, above = stack.pop()
            if id(module) in (seen if remove_duplicate else above):
                continue                     # already listed, or a module inside itself
            seen.add(id(module))
            yield name, module
            path = above + (id(module),) if not remove_duplicate else ()
            children = [(f"{name}.{k}" if name else k, m, path)
                        for k, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix="", recurse=True):
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- modes and gradients ------------------------------------------------------
    def train(self, mode=True):
        mode = flag(mode, f"{type(self).__name__}.train", "mode")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        """Clear the gradients of every parameter (set them to None)."""
        for p in self.parameters():
            p.grad = None

    # -- saving and loading -----------------------------------------------------------
    def state_dict(self):
        """Parameters and buffers as NumPy arrays (copies), keyed like PyTorch's."""
        state = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None:
                        key = f"{module_name}.{name}" if module_name else name
                        state[key] = value.data.copy()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (NumPy arrays, tensors or anything np.asarray accepts) into
        the parameters and buffers, keeping each one's dtype.

        Returns PyTorch's named tuple (missing_keys, unexpected_keys). With
        strict=True either kind of key is an error. Every value is checked before
        any is copied: when this raises, the module is left as it was.
        """
        where = f"load_state_dict for {type(self).__name__}"
        strict = flag(strict, where, "strict")
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"{where}: expected a dict of arrays (from state_dict()), got "
                            f"{type(state_dict).__name__}")
        own = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            for registry in (module._parameters, module._buffers):
                for name, value in registry.items():
                    if value is not None:
                        own[f"{module_name}.{name}" if module_name else name] = value
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")
        loads = []                      # all checked first, then all copied
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{where}: '{key}' holds {array.dtype} values, expected numbers")
            if array.shape != target.shape:
                raise ValueError(f"{where}: '{key}' has shape {array.shape} in the state dict "
                                 f"but {target.shape} in the model")
            loads.append((target, array))
        for target, array in loads:
            target.data[...] = array
        return IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        # PyTorch's layout, one line per module, children indented under their
        # parent. Built from an explicit stack, so any depth of nesting prints.
        lines = []
        stack = [(0, "", self)]             # (depth, "(name): ", module or None for ")")
        while stack:
            depth, label, module = stack.pop()
            indent = "  " * depth
            if module is None:
                lines.append(indent + ")")
                continue
            if type(module).__repr__ is not Module.__repr__:      # prints itself
                text, children = label + repr(module), []
            else:
                children = list(module.named_children())
                text = f"{label}{type(module).__name__}({module.extra_repr()}" + \
                    ("" if children else ")")
            lines.append(indent + text.replace("\n", "\n" + indent))
            if children:
                stack.append((depth, "", None))
                stack.extend((depth + 1, f"({name}): ", child) for name, child in reversed(children))
        return "\n".join(lines)

    def __copy__(self):
        """A shallow copy: the same parameters, buffers and children, in registries of
        its own. (PyTorch's shallow copy shares the registries themselves; here each
        module also keeps its parameters in its __dict__, so a shared registry changed
        through one module would leave the other reading the old parameter.)"""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        for registry in ("_parameters", "_buffers", "_modules", "_parametrizations"):
            if registry in self.__dict__:
                twin.__dict__[registry] = OrderedDict(self.__dict__[registry])
        return twin

    def __deepcopy__(self, memo):
        """A copy of the whole tree (parameters, buffers, children), made module by
        module from a list rather than by recursing down the nesting."""
        tree = [m for _, m in self.named_modules() if id(m) not in memo]
        for m in tree:
            memo[id(m)] = object.__new__(type(m))
        for m in tree:
            twin = memo[id(m)]
            for key, value in m.__dict__.items():
                if key == "_modules":       # children: the twins made above (or earlier)
                    value = OrderedDict((k, None if c is None else memo[id(c)])
                                        for k, c in value.items())
                else:
                    value = copy.deepcopy(value, memo)
                twin.__dict__[key] = value
        return memo[id(self)]


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns, as in PyTorch: the model's keys the state dict
    lacked, and the state dict's keys the model does not have."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def _as_buffer(value, name, owner):
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return Tensor(np.asarray(value))
    raise TypeError(f"{owner}: buffer '{name}' must be a Tensor, an ndarray or None, "
                    f"got {type(value).__name__}")
