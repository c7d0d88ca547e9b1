export {
  BudgetLedger,
  composeCosts,
  type BudgetPolicy,
  type BudgetState,
  type PrivacyCost,
} from './budget.js';
