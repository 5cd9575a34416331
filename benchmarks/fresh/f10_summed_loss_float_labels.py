# Neural network for HW5, organised as layers that each know their forward and backward pass.
import sys
import numpy as np


class Dense:
    """Fully connected layer; W has shape (out, in + 1), its first column multiplying the constant 1."""

    def __init__(self, n_in, n_out, init_flag, lr):
        if init_flag == 1:
            np.random.seed(n_out * (n_in + 1))
            self.W = np.random.uniform(-0.1, 0.1, size=(n_out, n_in + 1))
            self.W[:, 0] = 0
        else:
            self.W = np.zeros((n_out, n_in + 1))
        self.lr = lr
        self.grad = np.zeros_like(self.W)

    def forward(self, inp):
        self.inp = np.insert(inp, 0, 1.0)
        return self.W.dot(self.inp)

    def backward(self, upstream):
        self.grad = np.outer(upstream, self.inp)
        return self.W[:, 1:].T.dot(upstream)

    def update(self):
        self.W = self.W - self.lr * self.grad


class SigmoidLayer:
    def forward(self, inp):
        self.out = 1 / (1 + np.exp(-inp))
        return self.out

    def backward(self, upstream):
        return upstream * self.out * (1 - self.out)

    def update(self):
        pass


class Network:
    def __init__(self, n_features, n_hidden, n_classes, init_flag, lr):
        self.n_classes = n_classes
        self.layers = [Dense(n_features, n_hidden, init_flag, lr), SigmoidLayer(),
                       Dense(n_hidden, n_classes, init_flag, lr)]

    def probabilities(self, x):
        out = x
        for layer in self.layers:
            out = layer.forward(out)
        out = np.exp(out - out.max())
        return out / out.sum()

    def one_hot(self, labels):
        encoded = np.zeros((len(labels), self.n_classes))
        encoded[np.arange(len(labels)), labels] = 1
        return encoded

    def sgd_step(self, x, target):
        p = self.probabilities(x)
        grad = p - target
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        for layer in self.layers:
            layer.update()

    def cross_entropy(self, X, labels):
        targets = self.one_hot(labels)
        losses = [-np.sum(t * np.log(self.probabilities(x))) for x, t in zip(X, targets)]
        return sum(losses)

    def predict(self, X):
        return np.array([np.argmax(self.probabilities(x)) for x in X])


def permute(X, y, epoch):
    np.random.seed(epoch)
    idx = np.random.permutation(len(y))
    return X[idx], y[idx]


def load(path):
    rows = np.genfromtxt(path, delimiter=",")
    if rows.ndim == 1:
        rows = rows[None, :]
    return rows[:, 1:], rows[:, 0].astype(int)


if __name__ == "__main__":
    args = sys.argv[1:]
    Xtr, ytr = load(args[0])
    Xva, yva = load(args[1])
    n_epochs, n_hidden, flag, rate = int(args[5]), int(args[6]), int(args[7]), float(args[8])
    net = Network(Xtr.shape[1], n_hidden, 10, flag, rate)
    lines = []
    for e in range(n_epochs):
        Xs, ys = permute(Xtr, ytr, e)
        targets = net.one_hot(ys)
        for x, t in zip(Xs, targets):
            net.sgd_step(x, t)
        lines.append("epoch=%d crossentropy(train): %s" % (e + 1, net.cross_entropy(Xtr, ytr)))
        lines.append("epoch=%d crossentropy(validation): %s" % (e + 1, net.cross_entropy(Xva, yva)))
    ptr, pva = net.predict(Xtr), net.predict(Xva)
    np.savetxt(args[2], ptr.astype(float), fmt="%.1f")
    np.savetxt(args[3], pva.astype(float), fmt="%.1f")
    lines.append("error(train): %s" % np.mean(ptr != ytr))
    lines.append("error(validation): %s" % np.mean(pva != yva))
    with open(args[4], "w") as out:
        out.write("\n".join(lines) + "\n")
