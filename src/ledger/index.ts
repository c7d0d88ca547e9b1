export { BudgetLedger, type BudgetState } from './budget.js';
