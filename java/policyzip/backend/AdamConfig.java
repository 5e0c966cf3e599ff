package policyzip.backend;

/**
 * Adam hyperparameters (Kingma and Ba 2015, with bias correction). Defaults are the usual
 * lr 1e-3, β1 0.9, β2 0.999, ε 1e-8.
 */
public record AdamConfig(float lr, float beta1, float beta2, float eps) {
    public AdamConfig {
        if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
            throw new IllegalArgumentException("bad Adam settings: lr " + lr + ", beta1 " + beta1 + ", beta2 " + beta2 + ", eps " + eps
                    + " (need lr > 0, 0 <= beta < 1, eps > 0)");
        }
    }

    public static AdamConfig defaults(float lr) {
        return new AdamConfig(lr, 0.9f, 0.999f, 1e-8f);
    }
}
