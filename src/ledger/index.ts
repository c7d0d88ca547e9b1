export { BudgetLedger, type BudgetPolicy, type BudgetState, type PrivacyCost } from './budget.js';
