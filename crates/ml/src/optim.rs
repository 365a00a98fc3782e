//! Smooth unconstrained optimisers for the linear models: L-BFGS that
//! follows scipy's L-BFGS-B path on unbounded problems (so that logistic
//! regression stops where scikit-learn's `lbfgs` solver stops), the
//! Moré–Thuente line search it uses (MINPACK-2 `dcsrch`/`dcstep`), and
//! OWL-QN for objectives with an L1 term.

use std::collections::VecDeque;

use crate::kernels::dot;

/// Stopping rules and memory of the quasi-Newton solvers.
#[derive(Debug, Clone)]
pub(crate) struct QnOptions {
    /// Number of correction pairs kept (scipy's `maxcor`, 10).
    pub memory: usize,
    /// Maximum number of iterations (accepted steps).
    pub max_iter: usize,
    /// Stop when the largest absolute (pseudo-)gradient entry is at most this.
    pub pgtol: f64,
    /// Stop when `(f_old - f) <= ftol * max(|f_old|, |f|, 1)` (scipy's
    /// `factr * eps`; scikit-learn passes `64 * eps`).
    pub ftol: f64,
    /// Maximum function evaluations in one line search (scikit-learn: 50).
    pub max_ls: usize,
}

impl QnOptions {
    /// The settings scikit-learn's `lbfgs` solver passes to scipy, with the
    /// given iteration limit and gradient tolerance.
    pub(crate) fn sklearn(max_iter: usize, pgtol: f64) -> Self {
        QnOptions {
            memory: 10,
            max_iter,
            pgtol,
            ftol: 64.0 * f64::EPSILON,
            max_ls: 50,
        }
    }
}

/// The outcome of a minimisation.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    /// The final point.
    pub x: Vec<f64>,
    /// The objective there.
    #[allow(dead_code)]
    pub f: f64,
    /// Accepted iterations.
    #[allow(dead_code)]
    pub iterations: usize,
    /// Whether a convergence test (gradient or relative decrease) was met,
    /// as opposed to the iteration limit or a failed line search.
    #[allow(dead_code)]
    pub converged: bool,
}

/// One correction pair with `1 / s'y`.
struct Pair {
    s: Vec<f64>,
    y: Vec<f64>,
    rho: f64,
}

/// Limited-memory inverse-Hessian approximation.
struct Memory {
    pairs: VecDeque<Pair>,
    m: usize,
    /// Scaling of the initial matrix `B0 = theta * I` (L-BFGS-B's `theta`).
    theta: f64,
}

impl Memory {
    fn new(m: usize) -> Self {
        Memory {
            pairs: VecDeque::with_capacity(m + 1),
            m: m.max(1),
            theta: 1.0,
        }
    }

    fn clear(&mut self) {
        self.pairs.clear();
        self.theta = 1.0;
    }

    fn push(&mut self, s: Vec<f64>, y: Vec<f64>, sy: f64, yy: f64) {
        if self.pairs.len() == self.m {
            self.pairs.pop_front();
        }
        self.pairs.push_back(Pair {
            s,
            y,
            rho: 1.0 / sy,
        });
        self.theta = yy / sy;
    }

    /// `d = -H g` by the two-loop recursion with `H0 = I / theta`; this is
    /// the inverse of L-BFGS-B's compact `B`, so on unbounded problems it
    /// gives the same search direction.
    fn direction(&self, g: &[f64]) -> Vec<f64> {
        let mut q = g.to_vec();
        let mut alpha = vec![0.0; self.pairs.len()];
        for (i, p) in self.pairs.iter().enumerate().rev() {
            let a = p.rho * dot(&p.s, &q);
            alpha[i] = a;
            for (qj, yj) in q.iter_mut().zip(&p.y) {
                *qj -= a * yj;
            }
        }
        let inv_theta = 1.0 / self.theta;
        for qj in q.iter_mut() {
            *qj *= inv_theta;
        }
        for (i, p) in self.pairs.iter().enumerate() {
            let b = p.rho * dot(&p.y, &q);
            let c = alpha[i] - b;
            for (qj, sj) in q.iter_mut().zip(&p.s) {
                *qj += c * sj;
            }
        }
        for qj in q.iter_mut() {
            *qj = -*qj;
        }
        q
    }
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Minimises a smooth function with L-BFGS, reproducing scipy's L-BFGS-B
/// iterates on an unbounded problem: first trial step `1/‖d‖`, then 1;
/// Moré–Thuente line search with `ftol = 1e-3`, `gtol = 0.9`, `xtol = 0.1`;
/// update skipped when `s'y <= eps * (-g's)`; memory reset when a line
/// search fails. `fg(x, grad)` returns `f(x)` and writes the gradient.
pub(crate) fn lbfgs<F>(mut fg: F, x0: Vec<f64>, opts: &QnOptions) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut f = fg(&x, &mut g);
    if max_abs(&g) <= opts.pgtol {
        return Minimum {
            x,
            f,
            iterations: 0,
            converged: true,
        };
    }
    let mut mem = Memory::new(opts.memory);
    let mut iter = 0usize;
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    loop {
        let mut d = mem.direction(&g);
        let gd_old = dot(&g, &d);
        let searched = if gd_old < 0.0 {
            let dnorm = dot(&d, &d).sqrt();
            let mut stp = if iter == 0 {
                (1.0 / dnorm).min(1e10)
            } else {
                1.0
            };
            line_search(
                &mut fg,
                &x,
                f,
                gd_old,
                &d,
                &mut stp,
                opts.max_ls,
                &mut x_new,
                &mut g_new,
            )
            .map(|(f_new, gd_new)| (f_new, gd_new, stp))
        } else {
            None
        };
        let Some((f_new, gd_new, stp)) = searched else {
            // L-BFGS-B: restore the previous point; refresh the memory, or
            // stop if it was already empty.
            if mem.pairs.is_empty() {
                return Minimum {
                    x,
                    f,
                    iterations: iter,
                    converged: false,
                };
            }
            mem.clear();
            continue;
        };
        iter += 1;
        let f_old = f;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        f = f_new;
        // `g_new` now holds the previous gradient.
        if iter >= opts.max_iter {
            let converged = max_abs(&g) <= opts.pgtol;
            return Minimum {
                x,
                f,
                iterations: iter,
                converged,
            };
        }
        if max_abs(&g) <= opts.pgtol {
            return Minimum {
                x,
                f,
                iterations: iter,
                converged: true,
            };
        }
        if f_old - f <= opts.ftol * f_old.abs().max(f.abs()).max(1.0) {
            return Minimum {
                x,
                f,
                iterations: iter,
                converged: true,
            };
        }
        let y: Vec<f64> = g.iter().zip(&g_new).map(|(a, b)| a - b).collect();
        let yy = dot(&y, &y);
        let (sy, ddum) = if stp == 1.0 {
            (gd_new - gd_old, -gd_old)
        } else {
            for dj in d.iter_mut() {
                *dj *= stp;
            }
            ((gd_new - gd_old) * stp, -gd_old * stp)
        };
        if sy > f64::EPSILON * ddum {
            mem.push(d, y, sy, yy);
        }
    }
}

/// Runs the Moré–Thuente search along `d` from `x` (objective `f0`, slope
/// `gd0 < 0`). On success returns the new objective and slope, with the new
/// point and gradient in `x_new`, `g_new`; `None` after `max_ls` evaluations
/// or an input error.
#[allow(clippy::too_many_arguments)]
fn line_search<F>(
    fg: &mut F,
    x: &[f64],
    f0: f64,
    gd0: f64,
    d: &[f64],
    stp: &mut f64,
    max_ls: usize,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> Option<(f64, f64)>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let mut ls = Dcsrch::start(f0, gd0, *stp, 1e-3, 0.9, 0.1, 0.0, 1e10)?;
    let mut evals = 0usize;
    loop {
        if *stp == 1.0 {
            for ((xn, xi), di) in x_new.iter_mut().zip(x).zip(d) {
                *xn = xi + di;
            }
        } else {
            for ((xn, xi), di) in x_new.iter_mut().zip(x).zip(d) {
                *xn = *stp * di + xi;
            }
        }
        let f = fg(x_new, g_new);
        evals += 1;
        let gd = dot(g_new, d);
        match ls.step(f, gd, stp) {
            LsTask::Done => return Some((f, gd)),
            LsTask::Evaluate => {
                if evals >= max_ls {
                    return None;
                }
            }
        }
    }
}

/// What the line search wants next.
enum LsTask {
    /// Evaluate at the updated step.
    Evaluate,
    /// The step satisfies the conditions (or no better one can be found).
    Done,
}

/// The state of MINPACK-2's `dcsrch` between evaluations.
struct Dcsrch {
    gtol: f64,
    xtol: f64,
    stpmin: f64,
    stpmax: f64,
    brackt: bool,
    stage: u8,
    ginit: f64,
    gtest: f64,
    finit: f64,
    stx: f64,
    fx: f64,
    gx: f64,
    sty: f64,
    fy: f64,
    gy: f64,
    stmin: f64,
    stmax: f64,
    width: f64,
    width1: f64,
}

impl Dcsrch {
    /// Initialises the search; `None` on invalid input (non-descent slope).
    #[allow(clippy::too_many_arguments)]
    fn start(
        f: f64,
        g: f64,
        stp: f64,
        ftol: f64,
        gtol: f64,
        xtol: f64,
        stpmin: f64,
        stpmax: f64,
    ) -> Option<Self> {
        if stp < stpmin || stp > stpmax || g >= 0.0 || !f.is_finite() {
            return None;
        }
        let width = stpmax - stpmin;
        Some(Dcsrch {
            gtol,
            xtol,
            stpmin,
            stpmax,
            brackt: false,
            stage: 1,
            ginit: g,
            gtest: ftol * g,
            finit: f,
            stx: 0.0,
            fx: f,
            gx: g,
            sty: 0.0,
            fy: f,
            gy: g,
            stmin: 0.0,
            stmax: stp + 4.0 * stp,
            width,
            width1: width / 0.5,
        })
    }

    /// Takes `f` and slope `g` at `stp`; either accepts or updates `stp`.
    fn step(&mut self, f: f64, g: f64, stp: &mut f64) -> LsTask {
        let ftest = self.finit + *stp * self.gtest;
        if self.stage == 1 && f <= ftest && g >= 0.0 {
            self.stage = 2;
        }
        // Warnings end the search with the current step, as in L-BFGS-B.
        if self.brackt && (*stp <= self.stmin || *stp >= self.stmax) {
            return LsTask::Done;
        }
        if self.brackt && self.stmax - self.stmin <= self.xtol * self.stmax {
            return LsTask::Done;
        }
        if *stp == self.stpmax && f <= ftest && g <= self.gtest {
            return LsTask::Done;
        }
        if *stp == self.stpmin && (f > ftest || g >= self.gtest) {
            return LsTask::Done;
        }
        if f <= ftest && g.abs() <= self.gtol * (-self.ginit) {
            return LsTask::Done;
        }
        if !f.is_finite() {
            // Not in MINPACK: an overflowing trial point brackets the step
            // from above and the search bisects towards the best point.
            self.brackt = true;
            self.sty = *stp;
            self.fy = f64::MAX;
            *stp = self.stx + 0.5 * (*stp - self.stx);
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty);
            return LsTask::Evaluate;
        }
        if self.stage == 1 && f <= self.fx && f > ftest {
            let gt = self.gtest;
            let mut st = Step {
                stx: self.stx,
                fx: self.fx - self.stx * gt,
                dx: self.gx - gt,
                sty: self.sty,
                fy: self.fy - self.sty * gt,
                dy: self.gy - gt,
                brackt: self.brackt,
            };
            dcstep(&mut st, stp, f - *stp * gt, g - gt, self.stmin, self.stmax);
            self.brackt = st.brackt;
            self.stx = st.stx;
            self.sty = st.sty;
            self.fx = st.fx + st.stx * gt;
            self.fy = st.fy + st.sty * gt;
            self.gx = st.dx + gt;
            self.gy = st.dy + gt;
        } else {
            let mut st = Step {
                stx: self.stx,
                fx: self.fx,
                dx: self.gx,
                sty: self.sty,
                fy: self.fy,
                dy: self.gy,
                brackt: self.brackt,
            };
            dcstep(&mut st, stp, f, g, self.stmin, self.stmax);
            self.brackt = st.brackt;
            self.stx = st.stx;
            self.fx = st.fx;
            self.gx = st.dx;
            self.sty = st.sty;
            self.fy = st.fy;
            self.gy = st.dy;
        }
        if self.brackt {
            if (self.sty - self.stx).abs() >= 0.66 * self.width1 {
                *stp = self.stx + 0.5 * (self.sty - self.stx);
            }
            self.width1 = self.width;
            self.width = (self.sty - self.stx).abs();
            self.stmin = self.stx.min(self.sty);
            self.stmax = self.stx.max(self.sty);
        } else {
            self.stmin = *stp + 1.1 * (*stp - self.stx);
            self.stmax = *stp + 4.0 * (*stp - self.stx);
        }
        *stp = stp.max(self.stpmin).min(self.stpmax);
        if self.brackt
            && (*stp <= self.stmin
                || *stp >= self.stmax
                || self.stmax - self.stmin <= self.xtol * self.stmax)
        {
            *stp = self.stx;
        }
        LsTask::Evaluate
    }
}

/// The interval state `dcstep` updates.
struct Step {
    stx: f64,
    fx: f64,
    dx: f64,
    sty: f64,
    fy: f64,
    dy: f64,
    brackt: bool,
}

fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// MINPACK-2 `dcstep`: a safeguarded cubic/quadratic step that keeps a
/// bracket on a point satisfying the Wolfe conditions.
fn dcstep(st: &mut Step, stp: &mut f64, fp: f64, dp: f64, stpmin: f64, stpmax: f64) {
    let (stx, fx, dx, sty, fy, dy) = (st.stx, st.fx, st.dx, st.sty, st.fy, st.dy);
    let s_p = *stp;
    let sgnd = sign(dp) * sign(dx);
    let stpf;
    if fp > fx {
        let theta = 3.0 * (fx - fp) / (s_p - stx) + dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (dx / s) * (dp / s)).sqrt();
        if s_p < stx {
            gamma = -gamma;
        }
        let p = (gamma - dx) + theta;
        let q = ((gamma - dx) + gamma) + dp;
        let r = p / q;
        let stpc = stx + r * (s_p - stx);
        let stpq = stx + ((dx / ((fx - fp) / (s_p - stx) + dx)) / 2.0) * (s_p - stx);
        stpf = if (stpc - stx).abs() <= (stpq - stx).abs() {
            stpc
        } else {
            stpc + (stpq - stpc) / 2.0
        };
        st.brackt = true;
    } else if sgnd < 0.0 {
        let theta = 3.0 * (fx - fp) / (s_p - stx) + dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (dx / s) * (dp / s)).sqrt();
        if s_p > stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + dx;
        let r = p / q;
        let stpc = s_p + r * (stx - s_p);
        let stpq = s_p + (dp / (dp - dx)) * (stx - s_p);
        stpf = if (stpc - s_p).abs() > (stpq - s_p).abs() {
            stpc
        } else {
            stpq
        };
        st.brackt = true;
    } else if dp.abs() < dx.abs() {
        let theta = 3.0 * (fx - fp) / (s_p - stx) + dx + dp;
        let s = theta.abs().max(dx.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (dx / s) * (dp / s)).max(0.0).sqrt();
        if s_p > stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = (gamma + (dx - dp)) + gamma;
        let r = p / q;
        let stpc = if r < 0.0 && gamma != 0.0 {
            s_p + r * (stx - s_p)
        } else if s_p > stx {
            stpmax
        } else {
            stpmin
        };
        let stpq = s_p + (dp / (dp - dx)) * (stx - s_p);
        if st.brackt {
            let mut f = if (stpc - s_p).abs() < (stpq - s_p).abs() {
                stpc
            } else {
                stpq
            };
            if s_p > stx {
                f = f.min(s_p + 0.66 * (sty - s_p));
            } else {
                f = f.max(s_p + 0.66 * (sty - s_p));
            }
            stpf = f;
        } else {
            let f = if (stpc - s_p).abs() > (stpq - s_p).abs() {
                stpc
            } else {
                stpq
            };
            stpf = f.min(stpmax).max(stpmin);
        }
    } else if st.brackt {
        let theta = 3.0 * (fp - fy) / (sty - s_p) + dy + dp;
        let s = theta.abs().max(dy.abs()).max(dp.abs());
        let mut gamma = s * ((theta / s).powi(2) - (dy / s) * (dp / s)).sqrt();
        if s_p > sty {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + dy;
        let r = p / q;
        stpf = s_p + r * (sty - s_p);
    } else if s_p > stx {
        stpf = stpmax;
    } else {
        stpf = stpmin;
    }
    if fp > fx {
        st.sty = s_p;
        st.fy = fp;
        st.dy = dp;
    } else {
        if sgnd < 0.0 {
            st.sty = stx;
            st.fy = fx;
            st.dy = dx;
        }
        st.stx = s_p;
        st.fx = fp;
        st.dx = dp;
    }
    *stp = stpf;
}

/// Minimises `f(x) + Σ l1[i]·|x[i]|` with OWL-QN (Andrew & Gao 2007):
/// L-BFGS on the smooth part's gradient pairs, directions from the
/// pseudo-gradient restricted to its orthant, backtracking with orthant
/// projection. `fg` evaluates the smooth part only.
pub(crate) fn owlqn<F>(mut fg: F, x0: Vec<f64>, l1: &[f64], opts: &QnOptions) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x0.len();
    let pen = |x: &[f64]| -> f64 { x.iter().zip(l1).map(|(xi, li)| li * xi.abs()).sum() };
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut f = fg(&x, &mut g) + pen(&x);
    let mut mem = Memory::new(opts.memory);
    let mut iter = 0usize;
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    loop {
        let pg = pseudo_gradient(&x, &g, l1);
        if max_abs(&pg) <= opts.pgtol {
            return Minimum {
                x,
                f,
                iterations: iter,
                converged: true,
            };
        }
        let mut d = mem.direction(&pg);
        for (di, pi) in d.iter_mut().zip(&pg) {
            if *di * *pi >= 0.0 {
                *di = 0.0;
            }
        }
        if d.iter().all(|&v| v == 0.0) {
            d = pg.iter().map(|v| -v).collect();
        }
        let orthant: Vec<f64> = x
            .iter()
            .zip(&pg)
            .map(|(&xi, &pi)| if xi != 0.0 { sign(xi) } else { -sign(pi) })
            .collect();
        let dnorm = dot(&d, &d).sqrt();
        let mut stp = if iter == 0 && mem.pairs.is_empty() {
            (1.0 / dnorm).min(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..opts.max_ls.max(1) {
            for i in 0..n {
                let v = x[i] + stp * d[i];
                x_new[i] = if v * orthant[i] > 0.0 { v } else { 0.0 };
            }
            let f_try = fg(&x_new, &mut g_new) + pen(&x_new);
            let decrease: f64 = pg
                .iter()
                .zip(x_new.iter().zip(&x))
                .map(|(p, (a, b))| p * (a - b))
                .sum();
            if f_try.is_finite() && f_try <= f + 1e-4 * decrease {
                accepted = Some(f_try);
                break;
            }
            stp *= 0.5;
        }
        let Some(f_new) = accepted else {
            if mem.pairs.is_empty() {
                return Minimum {
                    x,
                    f,
                    iterations: iter,
                    converged: false,
                };
            }
            mem.clear();
            continue;
        };
        iter += 1;
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        let f_old = f;
        f = f_new;
        if iter >= opts.max_iter {
            let converged = max_abs(&pseudo_gradient(&x, &g, l1)) <= opts.pgtol;
            return Minimum {
                x,
                f,
                iterations: iter,
                converged,
            };
        }
        if f_old - f <= opts.ftol * f_old.abs().max(f.abs()).max(1.0) {
            return Minimum {
                x,
                f,
                iterations: iter,
                converged: true,
            };
        }
        let sy = dot(&s, &y);
        let yy = dot(&y, &y);
        if sy > f64::EPSILON * yy.max(f64::MIN_POSITIVE) {
            mem.push(s, y, sy, yy);
        }
    }
}

/// The minimum-norm subgradient of `f + Σ l1|x|`.
fn pseudo_gradient(x: &[f64], g: &[f64], l1: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(g)
        .zip(l1)
        .map(|((&xi, &gi), &li)| {
            if xi > 0.0 {
                gi + li
            } else if xi < 0.0 {
                gi - li
            } else if gi + li < 0.0 {
                gi + li
            } else if gi - li > 0.0 {
                gi - li
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        let (a, b) = (x[0], x[1]);
        g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
        g[1] = 200.0 * (b - a * a);
        (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
    }

    #[test]
    fn lbfgs_minimises_rosenbrock() {
        let r = lbfgs(rosenbrock, vec![-1.2, 1.0], &QnOptions::sklearn(1000, 1e-8));
        assert!(r.converged);
        assert!(
            (r.x[0] - 1.0).abs() < 1e-5 && (r.x[1] - 1.0).abs() < 1e-5,
            "{:?}",
            r.x
        );
    }

    #[test]
    fn owlqn_solves_a_lasso_problem() {
        // min (x0 - 3)^2 + (x1 + 0.2)^2 + |x0| + |x1|  ->  x0 = 2.5, x1 = 0.
        let f = |x: &[f64], g: &mut [f64]| {
            g[0] = 2.0 * (x[0] - 3.0);
            g[1] = 2.0 * (x[1] + 0.2);
            (x[0] - 3.0).powi(2) + (x[1] + 0.2).powi(2)
        };
        let r = owlqn(
            f,
            vec![0.0, 0.0],
            &[1.0, 1.0],
            &QnOptions::sklearn(100, 1e-10),
        );
        assert!((r.x[0] - 2.5).abs() < 1e-8, "{:?}", r.x);
        assert_eq!(r.x[1], 0.0);
        assert!(r.f.is_finite());
    }
}
