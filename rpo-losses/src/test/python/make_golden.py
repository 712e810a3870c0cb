#!/usr/bin/env python3
"""Golden values for the rpo-losses tests, computed in float64 with PyTorch autograd.

Every objective is written here directly from its formula (in the style of TRL's DPOTrainer /
CPOTrainer) and differentiated with torch.autograd, independently of the Java code.

Run from the repository root:
    python3 rpo-losses/src/test/python/make_golden.py
It writes rpo-losses/src/test/resources/golden/losses.json.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "losses.json")


def t(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def nll_term(pc, lc, normalization):
    lc = torch.tensor(lc, dtype=torch.float64)
    if normalization == "PER_SEQUENCE_MEAN":
        return (-pc / lc).mean()
    return -pc.sum() / lc.sum()


def preference_case(name, loss_type, beta, pc, pr, rc, rr, lc, lr,
                    label_smoothing=0.0, simpo_gamma=0.0, nll_alpha=0.0, nll_normalization="PER_SEQUENCE_MEAN"):
    policy_chosen, policy_rejected = t(pc), t(pr)
    len_c = torch.tensor(lc, dtype=torch.float64)
    len_r = torch.tensor(lr, dtype=torch.float64)
    c, r = policy_chosen, policy_rejected
    ref_c = torch.tensor(rc) if rc is not None else None
    ref_r = torch.tensor(rr) if rr is not None else None
    if loss_type in ("IPO", "SIMPO"):
        # TRL divides the summed log-probs by the completion length for IPO (policy and reference)
        # and uses average log-probs for SimPO.
        c, r = c / len_c, r / len_r
        if ref_c is not None:
            ref_c, ref_r = ref_c / len_c, ref_r / len_r
    if loss_type == "SIMPO":
        logits = beta * (c - r) - simpo_gamma
        losses = -F.logsigmoid(logits) * (1 - label_smoothing) - F.logsigmoid(-logits) * label_smoothing
        chosen_rewards, rejected_rewards = beta * c.detach(), beta * r.detach()
    else:
        h = (c - ref_c) - (r - ref_r)
        if loss_type == "SIGMOID":
            losses = -F.logsigmoid(beta * h) * (1 - label_smoothing) - F.logsigmoid(-beta * h) * label_smoothing
        elif loss_type == "IPO":
            losses = (h - 1 / (2 * beta)) ** 2
        elif loss_type == "HINGE":
            losses = torch.relu(1 - beta * h)
        else:
            raise ValueError(loss_type)
        chosen_rewards = beta * (c - ref_c).detach()
        rejected_rewards = beta * (r - ref_r).detach()
    nll = nll_term(policy_chosen, lc, nll_normalization)
    loss = losses.mean() + nll_alpha * nll
    loss.backward()
    metrics = {
        "rewards/chosen": chosen_rewards.mean().item(),
        "rewards/rejected": rejected_rewards.mean().item(),
        "rewards/margins": (chosen_rewards - rejected_rewards).mean().item(),
        "rewards/accuracies": (chosen_rewards > rejected_rewards).double().mean().item(),
        "logps/chosen": c.detach().mean().item(),
        "logps/rejected": r.detach().mean().item(),
        "nll": nll.item(),
        "loss": loss.item(),
    }
    return {
        "name": name, "type": loss_type, "beta": beta, "label_smoothing": label_smoothing,
        "simpo_gamma": simpo_gamma, "nll_alpha": nll_alpha, "nll_normalization": nll_normalization,
        "policy_chosen": pc, "policy_rejected": pr, "reference_chosen": rc, "reference_rejected": rr,
        "chosen_lengths": lc, "rejected_lengths": lr,
        "loss": loss.item(), "grad_chosen": policy_chosen.grad.tolist(),
        "grad_rejected": policy_rejected.grad.tolist(), "metrics": metrics,
    }


def nll_case(name, logps, lengths, normalization, weights=None, weighting="UNNORMALISED"):
    p = t(logps)
    lens = torch.tensor(lengths, dtype=torch.float64)
    w = torch.ones(len(logps)) if weights is None else torch.tensor(weights)
    if weighting == "UNNORMALISED":  # RISE: weights scale each sequence's NLL, the plain normaliser
        if normalization == "PER_SEQUENCE_MEAN":
            loss = (w * (-p / lens)).sum() / len(logps)
        else:
            loss = (w * (-p)).sum() / lens.sum()
    elif normalization == "PER_SEQUENCE_MEAN":  # SELF_NORMALISED: the weights are in the normaliser too
        loss = (w * (-p / lens)).sum() / w.sum()
    else:
        loss = (w * (-p)).sum() / (w * lens).sum()
    loss.backward()
    return {"name": name, "normalization": normalization, "weighting": weighting, "logps": logps,
            "lengths": lengths, "weights": weights, "loss": loss.item(), "grad": p.grad.tolist()}


def baselines(r, baseline, groups):
    """Each sample's baseline, a constant: none, the batch mean with the sample, or the mean of the others
    in its group (RLOO; 0 for a sample alone in its group)."""
    b = len(r)
    if baseline == "NONE":
        return torch.zeros(b)
    if baseline == "BATCH_MEAN":
        return r.mean().expand(b)
    g = [0] * b if groups is None else groups
    out = []
    for i in range(b):
        others = [r[j] for j in range(b) if j != i and g[j] == g[i]]
        out.append(torch.stack(others).mean() if others else torch.tensor(0.0))
    return torch.stack(out)


def reinforce_case(name, logps, ref_logps, rewards, lengths, kl_coefficient, baseline="BATCH_MEAN",
                   score_alpha=0.0, first_rewards=None, kl_mode="LOSS_TERM", groups=None):
    p = t(logps)
    ref = torch.tensor(ref_logps)
    r = torch.tensor(rewards)
    if first_rewards is not None:
        r = r + score_alpha * (r - torch.tensor(first_rewards))
    kl = p - ref  # sample-based estimate of KL(pi || ref) per sequence
    if kl_mode == "REWARD_PENALTY":
        r = r - kl_coefficient * kl.detach()
    loss = -((r - baselines(r, baseline, groups).detach()) * p).mean()
    if kl_mode == "LOSS_TERM":
        loss = loss + kl_coefficient * kl.mean()
    loss.backward()
    return {"name": name, "logps": logps, "reference_logps": ref_logps, "rewards": rewards,
            "first_attempt_rewards": first_rewards, "lengths": lengths, "kl_coefficient": kl_coefficient,
            "baseline": baseline, "groups": groups, "score_alpha": score_alpha, "kl_mode": kl_mode,
            "loss": loss.item(), "grad": p.grad.tolist(), "kl": kl.mean().item()}


def token_case(name, b, tt, v, seed, mask, targets):
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(b * tt, v, generator=gen) * 3.0).requires_grad_(True)
    tg = torch.tensor(targets, dtype=torch.long).reshape(-1)
    m = torch.tensor(mask, dtype=torch.float64).reshape(-1)
    safe = torch.where(m > 0, tg, torch.zeros_like(tg))  # masked targets may be -100
    token = torch.log_softmax(logits, dim=-1).gather(1, safe[:, None]).squeeze(1) * m
    seq = token.reshape(b, tt).sum(1)
    weights = torch.linspace(-1.5, 2.0, b)
    (weights * seq).sum().backward()
    return {"name": name, "B": b, "T": tt, "V": v, "logits": logits.detach().reshape(-1).tolist(),
            "targets": targets, "mask": mask, "token_logps": token.detach().tolist(),
            "sequence_logps": seq.detach().tolist(), "lengths": m.reshape(b, tt).sum(1).long().tolist(),
            "sequence_weights": weights.tolist(), "grad_logits": logits.grad.reshape(-1).tolist()}


def main():
    pc = [-12.5, -30.0, -8.25, -55.0]
    pr = [-14.0, -28.5, -9.75, -61.0]
    rc = [-13.0, -29.0, -8.0, -57.5]
    rr = [-13.5, -29.5, -9.0, -60.0]
    lc = [5, 12, 3, 20]
    lr = [6, 10, 4, 25]
    preference = [
        preference_case("dpo_sigmoid", "SIGMOID", 0.1, pc, pr, rc, rr, lc, lr),
        preference_case("dpo_beta_0.5", "SIGMOID", 0.5, pc, pr, rc, rr, lc, lr),
        preference_case("cdpo_label_smoothing", "SIGMOID", 0.1, pc, pr, rc, rr, lc, lr, label_smoothing=0.2),
        preference_case("ipo", "IPO", 0.1, pc, pr, rc, rr, lc, lr),
        preference_case("hinge", "HINGE", 0.5, pc, pr, rc, rr, lc, lr),
        preference_case("simpo", "SIMPO", 2.0, pc, pr, None, None, lc, lr, simpo_gamma=1.0),
        preference_case("simpo_label_smoothing", "SIMPO", 2.5, pc, pr, None, None, lc, lr,
                        simpo_gamma=1.25, label_smoothing=0.1),
        preference_case("rpo_per_sequence_mean", "SIGMOID", 0.1, pc, pr, rc, rr, lc, lr,
                        nll_alpha=1.0, nll_normalization="PER_SEQUENCE_MEAN"),
        preference_case("rpo_batch_token_mean", "SIGMOID", 0.1, pc, pr, rc, rr, lc, lr,
                        nll_alpha=1.0, nll_normalization="BATCH_TOKEN_MEAN"),
        preference_case("rpo_alpha_0.5_ipo", "IPO", 0.2, pc, pr, rc, rr, lc, lr,
                        nll_alpha=0.5, nll_normalization="PER_SEQUENCE_MEAN"),
    ]
    logps = [-12.5, -30.0, -8.25, -55.0, -3.0]
    lengths = [5, 12, 3, 20, 1]
    weights = [torch.exp(torch.tensor(x / 0.5)).item() for x in [1.0, 0.0, 0.5, -1.0, 0.25]]
    nll = [
        nll_case("nll_per_sequence_mean", logps, lengths, "PER_SEQUENCE_MEAN"),
        nll_case("nll_batch_token_mean", logps, lengths, "BATCH_TOKEN_MEAN"),
        nll_case("weighted_nll_per_sequence_mean", logps, lengths, "PER_SEQUENCE_MEAN", weights,
                 weighting="SELF_NORMALISED"),
        nll_case("weighted_nll_batch_token_mean", logps, lengths, "BATCH_TOKEN_MEAN", weights,
                 weighting="SELF_NORMALISED"),
        nll_case("unnormalised_weighted_nll_per_sequence_mean", logps, lengths, "PER_SEQUENCE_MEAN", weights),
        nll_case("unnormalised_weighted_nll_batch_token_mean", logps, lengths, "BATCH_TOKEN_MEAN", weights),
    ]
    ref_logps = [-13.0, -29.0, -8.0, -57.5, -2.5]
    rewards = [1.0, 0.0, 1.0, 0.0, 0.5]
    first = [0.0, 0.0, 1.0, 1.0, 0.5]
    reinforce = [
        reinforce_case("reinforce_kl_baseline", logps, ref_logps, rewards, lengths, 0.05),
        reinforce_case("reinforce_no_baseline", logps, ref_logps, rewards, lengths, 0.1, baseline="NONE"),
        reinforce_case("reinforce_score_bonus", logps, ref_logps, rewards, lengths, 0.05,
                       score_alpha=10.0, first_rewards=first),
        reinforce_case("reinforce_kl_in_reward", logps, ref_logps, rewards, lengths, 0.2, kl_mode="REWARD_PENALTY"),
        reinforce_case("reinforce_loo_one_group", logps, ref_logps, rewards, lengths, 0.05, baseline="LEAVE_ONE_OUT"),
        reinforce_case("reinforce_loo_groups_kl_in_reward", logps, ref_logps, rewards, lengths, 0.2,
                       baseline="LEAVE_ONE_OUT", kl_mode="REWARD_PENALTY", groups=[3, 1, 3, 1, 2]),
        reinforce_case("reinforce_loo_groups_score_bonus", logps, ref_logps, rewards, lengths, 0.05,
                       baseline="LEAVE_ONE_OUT", score_alpha=10.0, first_rewards=first, groups=[0, 0, 1, 1, 1]),
    ]
    tokens = [
        token_case("tokens_b2_t4_v7", 2, 4, 7, 1234,
                   mask=[[0, 1, 1, 1], [0, 0, 1, 0]],
                   targets=[[-100, 3, 0, 6], [-100, -100, 5, -100]]),
        token_case("tokens_b3_t3_v11", 3, 3, 11, 99,
                   mask=[[1, 1, 1], [0, 1, 1], [1, 0, 0]],
                   targets=[[10, 2, 4], [-100, 7, 7], [0, -100, -100]]),
    ]
    golden = {"generator": "rpo-losses/src/test/python/make_golden.py", "torch_version": torch.__version__,
              "preference": preference, "nll": nll, "reinforce": reinforce, "token_logprobs": tokens}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
